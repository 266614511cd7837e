/** Analytics SQL front end: the only surface other modules import. Parsing only; no planning or execution. */
export { parseSql, parseExpression } from './parser.js';
export { tokenize, RESERVED_WORDS } from './lexer.js';
export type { Token, TokenKind } from './lexer.js';
export { SqlSyntaxError } from './errors.js';
export type * from './ast.js';
