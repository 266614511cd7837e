/**
 * Syntax errors of the analytics SQL front end (lexer and parser).
 *
 * Owns: the one error class the front end throws, always with a 1-based line and column.
 * Does not own: the mapping to the coded error registry or to the AWS wire exception; the
 * analytics service wraps this as `cause` when it maps it.
 */

/** A lexing or parsing failure at a known position in the SQL text. */
export class SqlSyntaxError extends Error {
  override readonly name = 'SqlSyntaxError';
  /** The message without the position prefix, e.g. `expected FROM, found "GROUP"`. */
  readonly detail: string;
  readonly line: number;
  readonly column: number;

  constructor(detail: string, line: number, column: number) {
    super(`Syntax error at line ${line}, column ${column}: ${detail}`);
    this.detail = detail;
    this.line = line;
    this.column = column;
  }
}
