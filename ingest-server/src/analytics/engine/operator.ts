/**
 * The one interface every incremental operator of a pump implements, so that the planner can
 * chain them and the runtime can checkpoint them without knowing what they compute.
 *
 * Owns: the contract. Rows arrive one at a time with non-decreasing ROWTIME; an operator emits
 * through an `Emitter` (output rows, and rows that failed, for error_stream); `advance` tells it
 * that no row with ROWTIME below the watermark will come any more, so windows may close;
 * `snapshot`/`restore` move its whole state in and out as plain JSON for restart.
 * Does not own: reading inputs, watermarks, error_stream rows' layout, or persistence.
 */
import type { SqlRuntimeError } from './errors.js';
import type { Row, ValueType } from './values.js';

/** Where an operator sends what it produces. */
export interface Emitter {
  /** An output row. ROWTIMEs of the rows an operator emits are non-decreasing. */
  row(row: Row): void;
  /**
   * A row that failed (bad coercion, division by zero, a late row past the grace period). The
   * application keeps running; the runtime writes it to error_stream. `input` is the offending
   * input row when there is one (DATA_ROW), undefined for a failed window result.
   */
  error(error: SqlRuntimeError, input: Row | undefined): void;
}

export interface RowOperator {
  /** Output column names, in SELECT order. */
  readonly columns: readonly string[];
  readonly types: readonly ValueType[];
  /**
   * One input row. `side` says which input it comes from for a two-input operator (a
   * stream-to-stream join: 0 is the FROM stream, 1 the joined one); single-input operators
   * ignore it. Rows the input produces right away (a filter, a sliding window) go to `out` now.
   */
  push(row: Row, out: Emitter, side?: number): void;
  /** No input row with ROWTIME below `watermarkMs` will come any more: emit what closes. */
  advance(watermarkMs: number, out: Emitter): void;
  /** The whole state as JSON-serializable data (no Maps, no functions, no -0/NaN/Infinity traps). */
  snapshot(): unknown;
  /** Loads a `snapshot()` taken from an operator compiled from the same SQL. */
  restore(state: unknown): void;
}

/** An Emitter that collects into arrays: for tests and for the ad-hoc query endpoint. */
export function collectingEmitter(): Emitter & { rows: Row[]; errors: { error: SqlRuntimeError; input: Row | undefined }[] } {
  const rows: Row[] = [];
  const errors: { error: SqlRuntimeError; input: Row | undefined }[] = [];
  return {
    rows,
    errors,
    row: (r) => void rows.push(r),
    error: (error, input) => void errors.push({ error, input }),
  };
}
