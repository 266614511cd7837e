/**
 * A cursor over the lexer's tokens, shared by the statement and expression parsers.
 *
 * Owns: look-ahead, matching words and operators, and the wording of "expected X, found Y"
 * errors, so that every syntax error carries the position of the offending token.
 * Does not own: any grammar rule.
 */
import { SqlSyntaxError } from './errors.js';
import type { Position } from './ast.js';
import type { Token } from './lexer.js';

export class TokenCursor {
  private index = 0;
  private readonly eof: Token;

  /** `tokens` as returned by `tokenize`, ending with an `eof` token. */
  constructor(private readonly tokens: readonly Token[]) {
    const last = tokens[tokens.length - 1];
    this.eof = last?.kind === 'eof' ? last : { kind: 'eof', text: '', value: '', line: 1, column: 1, offset: 0 };
  }

  /** The token `ahead` places from the current one; past the end, the `eof` token. */
  peek(ahead = 0): Token {
    return this.tokens[this.index + ahead] ?? this.eof;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  pos(token: Token = this.peek()): Position {
    return { line: token.line, column: token.column };
  }

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  /** True if the token `ahead` is the word `word` (reserved or not, never quoted). */
  isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === 'keyword' || t.kind === 'ident') && t.value === word;
  }

  isOp(op: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'op' && t.value === op;
  }

  /** Consumes the word if present. */
  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.next();
    return true;
  }

  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.next();
    return true;
  }

  expectWord(word: string): Token {
    if (!this.isWord(word)) this.fail(word);
    return this.next();
  }

  expectOp(op: string): Token {
    if (!this.isOp(op)) this.fail(`"${op}"`);
    return this.next();
  }

  /** Consumes a name: an unquoted non-reserved word (upper-cased) or a quoted identifier (exact). */
  expectName(what = 'a name'): string {
    const t = this.peek();
    if (t.kind === 'ident' || t.kind === 'quoted') {
      this.next();
      return t.value;
    }
    return this.fail(what);
  }

  /** True if the current token can start a name (used for implicit aliases). */
  isName(ahead = 0): boolean {
    const kind = this.peek(ahead).kind;
    return kind === 'ident' || kind === 'quoted';
  }

  /** Throws `expected <expected>, found <current token>` at the current token. */
  fail(expected: string, token: Token = this.peek()): never {
    throw new SqlSyntaxError(`expected ${expected}, found ${describe(token)}`, token.line, token.column);
  }

  /** Throws a free-form message at `token`. */
  failAt(token: Token, detail: string): never {
    throw new SqlSyntaxError(detail, token.line, token.column);
  }
}

/** How a token reads in an error message. */
export function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of input';
    case 'string':
      return `string ${token.text}`;
    case 'quoted':
      return token.text;
    default:
      return `"${token.text}"`;
  }
}
