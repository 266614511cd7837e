/**
 * Errors of the analytics execution engine.
 *
 * Owns: `SqlCompileError` (the SQL parses but means nothing we can run: unknown function,
 * unresolved column, type mismatch; always with the offending node's line and column) and
 * `SqlRuntimeError` (one row failed: a bad coercion, a division by zero). Runtime errors carry
 * the KDA `ERROR_NAME` so the pump can write the row to `error_stream` and carry on.
 * Does not own: the coded error registry or the wire mapping; the service wraps these as `cause`.
 */
import type { Position } from '../sql/index.js';

/** Names written to `error_stream.ERROR_NAME`. */
export type SqlRuntimeErrorName = 'TypeCoercion' | 'DivisionByZero' | 'InvalidArgument' | 'SchemaMismatch' | 'LateRow';

/** One row could not be evaluated. The application keeps running; the row goes to error_stream. */
export class SqlRuntimeError extends Error {
  override readonly name: SqlRuntimeErrorName;

  constructor(name: SqlRuntimeErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** The query cannot be compiled; reported with the position of the node at fault. */
export class SqlCompileError extends Error {
  override readonly name = 'SqlCompileError';
  readonly detail: string;
  readonly line: number;
  readonly column: number;

  constructor(detail: string, pos: Position) {
    super(`Error at line ${pos.line}, column ${pos.column}: ${detail}`);
    this.detail = detail;
    this.line = pos.line;
    this.column = pos.column;
  }
}
