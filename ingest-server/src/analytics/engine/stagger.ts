/**
 * Incremental stagger windows: `WINDOWED BY STAGGER (PARTITION BY k1, k2 RANGE INTERVAL '1' MINUTE)`,
 * as a `RowOperator`.
 *
 * Owns: one open window per partition key and the windows waiting to close; `push` folds a row
 * in O(1); `advance` emits the windows that have closed; `snapshot`/`restore`.
 * Does not own: watermarks, I/O, or persistence.
 *
 * Semantics (Developer Guide, "Stagger Windows", "Complete Results with Stagger Windows"):
 * - "windows open when the first event matching the partition key arrives [...] The windows
 *   close based on the age specified, which is measured from the time when the window opened."
 *   A window for key k opens at the ROWTIME `open` of the first row with key k, and holds the
 *   rows with key k and ROWTIME in [open, open + RANGE).
 * - A row with key k and ROWTIME at or after its window's end opens a new window for k at its
 *   own ROWTIME (the guide's fourth row: its key had no window yet, so it "is aggregated
 *   separately" in a window opened at its ROWTIME). The old window waits for `advance`.
 * - Output: one row per window, the SELECT items over the partition keys and the aggregates.
 *   Its ROWTIME is open + RANGE: the guide's result rows carry 11:01:20 for the window opened
 *   by the row at ROWTIME 11:00:20, and 11:02:15 for the one opened at 11:01:15.
 * - A window is emitted when `advance`'s watermark reaches open + RANGE + graceMs. Windows emit
 *   in order of their end (then of opening), so output ROWTIMEs are non-decreasing.
 * - Rows come with non-decreasing ROWTIME (operator.ts), so a row can only be late when the
 *   caller breaks that: a row with ROWTIME below the last `watermark - graceMs` is reported to
 *   `out.error` as `LateRow` and not counted. Within the grace it joins its key's open window
 *   (or opens one), by arrival.
 * - A row that fails to evaluate goes to `out.error` with its error; an output row that fails
 *   goes there with no input row.
 * The SQL Reference page for WINDOWED BY was not available to check limits against; this
 * follows the Developer Guide pages above.
 */
import type { Select } from '../sql/index.js';
import type { CheckpointAccumulator } from './aggregates.js';
import { badSnapshot, decodeValue, encodeValue, groupKeyOf } from './aggregates.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Scope } from './expr.js';
import { compileGrouping } from './grouping.js';
import type { Emitter, RowOperator } from './operator.js';
import type { Row, Value } from './values.js';

export interface StaggerOptions {
  /** How long after a window's end (in watermark time) it waits before it is emitted. Default 0. */
  readonly graceMs?: number;
}

export interface StaggerOperator extends RowOperator {
  readonly rangeMs: number;
  /** Rows reported as LateRow so far. */
  readonly lateRows: number;
  /** Windows holding state (open, or ended and waiting for the watermark). */
  readonly openWindows: number;
}

interface Window {
  /** Creation order: the tie-break between windows that end together. */
  readonly seq: number;
  readonly groupKey: unknown;
  readonly keys: readonly Value[];
  readonly openMs: number;
  readonly endMs: number;
  readonly accumulators: CheckpointAccumulator[];
}

/** JSON shape of `snapshot()`. */
interface StaggerState {
  readonly closedThroughMs: unknown;
  readonly lateRows: number;
  readonly nextSeq: number;
  /** Every window not yet emitted: [seq, encoded keys, openMs, accumulator states, is its key's current window]. */
  readonly windows: [number, unknown[], number, unknown[], boolean][];
}

/** Builds the operator for a SELECT with `WINDOWED BY STAGGER`, reading rows of `scope`. */
export function stagger(select: Select, scope: Scope, options: StaggerOptions = {}): StaggerOperator {
  const graceMs = options.graceMs ?? 0;
  if (!(graceMs >= 0) || !Number.isFinite(graceMs)) throw new SqlCompileError(`graceMs must be a finite number >= 0, found ${graceMs}`, select.pos);
  const spec = select.windowedBy?.stagger;
  if (!spec) throw new SqlCompileError('not a WINDOWED BY STAGGER query', select.pos);
  if (select.groupBy?.length) throw new SqlCompileError('WINDOWED BY STAGGER replaces GROUP BY; use one or the other', select.groupBy[0]?.pos ?? select.pos);
  if (!(spec.rangeMs > 0)) throw new SqlCompileError('the RANGE of a stagger window must be a positive day-time INTERVAL', select.pos);
  if (spec.partitionBy.length === 0) throw new SqlCompileError('a stagger window needs PARTITION BY', select.pos);
  const rangeMs = spec.rangeMs;

  // The output side reads a "group row": values = [...partition keys, ...aggregates].
  const grouping = compileGrouping(select, scope, spec.partitionBy, [], 'must appear in PARTITION BY or inside an aggregate');
  const { keyCount, keyValues } = grouping;

  let current = new Map<unknown, Window>();
  let pending: Window[] = [];
  let closedThroughMs = -Infinity;
  let lateRows = 0;
  let nextSeq = 0;

  function makeWindow(groupKey: unknown, keys: readonly Value[], openMs: number, seq: number, states?: readonly unknown[]): Window {
    return { seq, groupKey, keys, openMs, endMs: openMs + rangeMs, accumulators: grouping.accumulators(states) };
  }

  /** Refuses a row behind the last watermark (less the grace) as LateRow. */
  function admit(row: Row, out: Emitter): boolean {
    if (row.rowtime < closedThroughMs) {
      lateRows++;
      out.error(new SqlRuntimeError('LateRow', `row at ${new Date(row.rowtime).toISOString()} came after its stagger windows closed`), row);
      return false;
    }
    return true;
  }

  function push(row: Row, out: Emitter): void {
    if (!grouping.accept(row, out, admit)) return;
    const groupKey = groupKeyOf(keyValues);
    let w = current.get(groupKey);
    // A row at or past its key's window end opens the key's next window; the ended one stays
    // in `pending` until the watermark passes its end.
    if (!w || row.rowtime >= w.endMs) {
      w = makeWindow(groupKey, keyValues.slice(), row.rowtime, nextSeq++);
      pending.push(w);
      current.set(groupKey, w);
    }
    grouping.fold(w.accumulators);
  }

  function advance(watermarkMs: number, out: Emitter): void {
    const threshold = watermarkMs - graceMs;
    if (!(threshold > closedThroughMs)) return;
    closedThroughMs = threshold;
    const closing: Window[] = [];
    const kept: Window[] = [];
    for (const w of pending) (w.endMs <= threshold ? closing : kept).push(w);
    if (closing.length === 0) return;
    pending = kept;
    closing.sort((a, b) => a.endMs - b.endMs || a.seq - b.seq);
    for (const w of closing) {
      if (current.get(w.groupKey) === w) current.delete(w.groupKey);
      grouping.emit({ rowtime: w.endMs, values: [...w.keys, ...w.accumulators.map((a) => a.result())] }, out);
    }
  }

  function snapshot(): StaggerState {
    return {
      closedThroughMs: encodeValue(closedThroughMs),
      lateRows,
      nextSeq,
      windows: pending.map((w) => [w.seq, w.keys.map(encodeValue), w.openMs, w.accumulators.map((a) => a.snapshot()), current.get(w.groupKey) === w]),
    };
  }

  function restore(state: unknown): void {
    const s = state as Partial<StaggerState> | null;
    if (!s || typeof s.lateRows !== 'number' || typeof s.nextSeq !== 'number' || !Array.isArray(s.windows)) throw badSnapshot('not a stagger-window state');
    current = new Map();
    pending = [];
    for (const [seq, encodedKeys, openMs, states, isCurrent] of s.windows) {
      if (encodedKeys.length !== keyCount || states.length !== grouping.aggregates.length) throw badSnapshot('window shape');
      const keys = encodedKeys.map(decodeValue);
      const groupKey = groupKeyOf(keys);
      const w = makeWindow(groupKey, keys, openMs, seq, states);
      pending.push(w);
      if (isCurrent) current.set(groupKey, w);
    }
    closedThroughMs = decodeValue(s.closedThroughMs ?? null) as number;
    lateRows = s.lateRows;
    nextSeq = s.nextSeq;
  }

  return {
    columns: grouping.columns,
    types: grouping.types,
    rangeMs,
    push,
    advance,
    snapshot,
    restore,
    get lateRows() {
      return lateRows;
    },
    get openWindows() {
      return pending.length;
    },
  };
}
