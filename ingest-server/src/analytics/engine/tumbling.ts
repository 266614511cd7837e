/**
 * Incremental tumbling-window GROUP BY, as a `RowOperator`.
 *
 * Owns: state per (window, group key); `push` folds one row into it in O(1); `advance` closes
 * every window whose end is at or before `watermark - graceMs`, emits its rows in window order
 * (groups in first-seen order within a window) and frees its state; `snapshot`/`restore`.
 * Does not own: watermarks (the caller decides when time has passed), I/O, or persistence.
 *
 * Which window:
 * - ROWTIME window: `GROUP BY key, STEP(ROWTIME BY INTERVAL '60' SECOND)` or
 *   `FLOOR(ROWTIME TO MINUTE)`. Any other GROUP BY item is a key, including an event-time
 *   `FLOOR(EVENT_TIME TO MINUTE)`: the form AWS recommends (Developer Guide, "Stagger Windows",
 *   "Partial Results with Tumbling Windows") groups by event time and ROWTIME together.
 * - EVENT-TIME window (a Rivulet extension: KDA requires a GROUP BY on "a monotonic expression
 *   based on ROWTIME", SQL Reference, "COUNT"): with no ROWTIME window, one
 *   `STEP(ts BY INTERVAL ...)` or `FLOOR(ts TO unit)` over a TIMESTAMP expression `ts`. Rows
 *   bucket by `ts`; windows still close on `advance`, whose watermark is ROWTIME time.
 * Windows are aligned to the epoch: a row belongs to [floor(t / size) * size, + size).
 *
 * Output ROWTIME:
 * - ROWTIME window: the window's end. The AWS guide's tumbling result table (Developer Guide,
 *   "Stagger Windows", "Partial Results with Tumbling Windows") shows the rows of the windows
 *   11:00-11:01 and 11:01-11:02 with ROWTIME 11:01:00 and 11:02:00.
 * - Event-time window: the watermark of the `advance` that closed it, the ROWTIME-clock moment
 *   the row came to exist. The window end is an event time, which may lag ROWTIME by hours and
 *   would put rows behind what downstream operators were already told had passed. Watermarks
 *   that emit strictly increase, so these ROWTIMEs are non-decreasing. A drain,
 *   `advance(Infinity)`, has no clock value: its rows carry max(window end, last ROWTIME).
 *
 * Errors go to `out.error` and the operator carries on:
 * - LATE ROWS: a row whose window has already closed (its end is at or before the last
 *   `watermark - graceMs`) is not counted; it is reported as `LateRow` with the row, and
 *   counted in `lateRows`. Within the grace period a row still counts.
 * - A NULL event time is `InvalidArgument`; a row that fails to evaluate (key, aggregate
 *   argument, WHERE) is reported with its error and leaves no trace in the state.
 * - An output row that fails (HAVING, a SELECT expression) is reported with no input row; the
 *   other rows of the window still emit.
 */
import type { Expr, Select } from '../sql/index.js';
import type { CheckpointAccumulator } from './aggregates.js';
import { badSnapshot, decodeValue, encodeValue, groupKeyOf } from './aggregates.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Scope } from './expr.js';
import { compileExpr } from './expr.js';
import { stepFloor } from './functions.js';
import { compileGrouping } from './grouping.js';
import type { Emitter, RowOperator } from './operator.js';
import type { Row, Value } from './values.js';

export interface TumblingOptions {
  /** How long after a window's end (in watermark time) it stays open for late rows. Default 0. */
  readonly graceMs?: number;
}

export interface TumblingOperator extends RowOperator {
  readonly windowSizeMs: number;
  /** Whether rows bucket by an event-time column rather than ROWTIME. */
  readonly eventTime: boolean;
  /** Rows reported as LateRow so far because their window had already closed. */
  readonly lateRows: number;
  /** Windows holding state. */
  readonly openWindows: number;
}

interface Group {
  readonly keys: readonly Value[];
  readonly accumulators: CheckpointAccumulator[];
}

/** JSON shape of `snapshot()`. Times may be ±Infinity, hence encoded like values. */
interface TumblingState {
  readonly closedThroughMs: unknown;
  readonly lastRowtimeMs: unknown;
  readonly lateRows: number;
  /** [window start, [[encoded keys, accumulator states]...]] in window insertion order. */
  readonly windows: [number, [unknown[], unknown[]][]][];
}

const FIXED_UNIT_MS: Readonly<Record<string, number>> = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

/** Window size of `e` when it is STEP/FLOOR over a time operand accepted by `operandOk`. */
function windowSizeOf(e: Expr, operandOk: (operand: Expr) => boolean): number | undefined {
  if (e.kind === 'step' && e.by.kind === 'interval' && operandOk(e.operand)) {
    if (e.by.ms === undefined || e.by.ms <= 0) throw new SqlCompileError('the STEP of a window must be a positive day-time INTERVAL', e.by.pos);
    return e.by.ms;
  }
  if (e.kind === 'timeFloor' && e.fn === 'FLOOR' && operandOk(e.operand)) {
    const ms = FIXED_UNIT_MS[e.unit];
    if (ms === undefined) throw new SqlCompileError(`a tumbling window cannot be FLOOR(... TO ${e.unit})`, e.pos);
    return ms;
  }
  return undefined;
}

interface WindowChoice {
  readonly expr: Expr;
  readonly sizeMs: number;
  /** The event-time operand, compiled; absent for a ROWTIME window. */
  readonly eventTime?: (row: Row) => Value;
}

function chooseWindow(groupBy: readonly Expr[], scope: Scope, select: Select): WindowChoice {
  const byRowtime = groupBy.flatMap((expr) => {
    const sizeMs = windowSizeOf(expr, (o) => o.kind === 'rowtime');
    return sizeMs === undefined ? [] : [{ expr, sizeMs }];
  });
  if (byRowtime.length > 1) throw new SqlCompileError('GROUP BY has more than one window over ROWTIME', byRowtime[1]?.expr.pos ?? select.pos);
  if (byRowtime[0]) return byRowtime[0];
  const byEventTime = groupBy.flatMap((expr) => {
    let operand: ((row: Row) => Value) | undefined;
    const sizeMs = windowSizeOf(expr, (o) => {
      const c = compileExpr(o, scope);
      operand = c.fn;
      return c.type === 'TIMESTAMP';
    });
    return sizeMs === undefined || !operand ? [] : [{ expr, sizeMs, eventTime: operand }];
  });
  if (byEventTime.length > 1) throw new SqlCompileError('GROUP BY has more than one event-time window', byEventTime[1]?.expr.pos ?? select.pos);
  if (byEventTime[0]) return byEventTime[0];
  throw new SqlCompileError(
    'a streaming GROUP BY needs STEP(ROWTIME BY INTERVAL ...) or FLOOR(ROWTIME TO unit), or the same over a TIMESTAMP column',
    groupBy[0]?.pos ?? select.pos,
  );
}

/** Builds the operator for a SELECT with a tumbling-window GROUP BY, reading rows of `scope`. */
export function tumbling(select: Select, scope: Scope, options: TumblingOptions = {}): TumblingOperator {
  const graceMs = options.graceMs ?? 0;
  if (!(graceMs >= 0) || !Number.isFinite(graceMs)) throw new SqlCompileError(`graceMs must be a finite number >= 0, found ${graceMs}`, select.pos);
  if (select.windowedBy) throw new SqlCompileError('WINDOWED BY STAGGER is not a tumbling window', select.pos);
  const groupBy = select.groupBy ?? [];
  const window = chooseWindow(groupBy, scope, select);
  const size = window.sizeMs;
  const eventTimeFn = window.eventTime;

  const keyExprs = groupBy.filter((e) => e !== window.expr);
  // The output side reads a "group row": values = [windowStart, ...keys, ...aggregates].
  const grouping = compileGrouping(select, scope, keyExprs, [{ expr: window.expr, type: 'TIMESTAMP' }], 'must appear in GROUP BY or inside an aggregate');
  const { keyCount, keyValues } = grouping;

  let windows = new Map<number, Map<unknown, Group>>();
  let closedThroughMs = -Infinity;
  let lastRowtimeMs = -Infinity;
  let lateRows = 0;
  /** The window start of the row `admit` took last. */
  let rowStartMs = 0;

  /** Finds the row's window; refuses it as LateRow when that window has closed. */
  function admit(row: Row, out: Emitter): boolean {
    let t: Value = row.rowtime;
    if (eventTimeFn) {
      t = eventTimeFn(row);
      if (t === null) throw new SqlRuntimeError('InvalidArgument', 'the event time of the GROUP BY window is NULL');
    }
    rowStartMs = stepFloor(t as number, size);
    if (rowStartMs + size <= closedThroughMs) {
      lateRows++;
      out.error(new SqlRuntimeError('LateRow', `row for the window starting at ${new Date(rowStartMs).toISOString()} came after it closed`), row);
      return false;
    }
    return true;
  }

  function push(row: Row, out: Emitter): void {
    if (!grouping.accept(row, out, admit)) return;
    const start = rowStartMs;
    let groups = windows.get(start);
    if (!groups) {
      groups = new Map();
      windows.set(start, groups);
    }
    const groupKey = keyCount === 0 ? '' : groupKeyOf(keyValues);
    let g = groups.get(groupKey);
    if (!g) {
      g = { keys: keyValues.slice(), accumulators: grouping.accumulators() };
      groups.set(groupKey, g);
    }
    grouping.fold(g.accumulators);
  }

  function advance(watermarkMs: number, out: Emitter): void {
    const threshold = watermarkMs - graceMs;
    if (!(threshold > closedThroughMs)) return;
    closedThroughMs = threshold;
    const closing = [...windows.keys()].filter((start) => start + size <= threshold).sort((a, b) => a - b);
    for (const start of closing) {
      const end = start + size;
      let rowtime = end;
      if (eventTimeFn) rowtime = Number.isFinite(watermarkMs) ? watermarkMs : Math.max(end, lastRowtimeMs);
      lastRowtimeMs = rowtime;
      for (const g of windows.get(start)?.values() ?? []) {
        grouping.emit({ rowtime, values: [start, ...g.keys, ...g.accumulators.map((a) => a.result())] }, out);
      }
      windows.delete(start);
    }
  }

  function snapshot(): TumblingState {
    return {
      closedThroughMs: encodeValue(closedThroughMs),
      lastRowtimeMs: encodeValue(lastRowtimeMs),
      lateRows,
      windows: [...windows].map(([start, groups]) => [
        start,
        [...groups.values()].map((g): [unknown[], unknown[]] => [g.keys.map(encodeValue), g.accumulators.map((a) => a.snapshot())]),
      ]),
    };
  }

  function restore(state: unknown): void {
    const s = state as Partial<TumblingState> | null;
    if (!s || typeof s.lateRows !== 'number' || !Array.isArray(s.windows)) throw badSnapshot('not a tumbling-window state');
    const restored = new Map<number, Map<unknown, Group>>();
    for (const [start, groups] of s.windows) {
      const map = new Map<unknown, Group>();
      for (const [encodedKeys, states] of groups) {
        if (encodedKeys.length !== keyCount || states.length !== grouping.aggregates.length) throw badSnapshot('group shape');
        const g: Group = { keys: encodedKeys.map(decodeValue), accumulators: grouping.accumulators(states) };
        map.set(keyCount === 0 ? '' : groupKeyOf(g.keys), g);
      }
      restored.set(start, map);
    }
    windows = restored;
    closedThroughMs = decodeValue(s.closedThroughMs ?? null) as number;
    lastRowtimeMs = decodeValue(s.lastRowtimeMs ?? null) as number;
    lateRows = s.lateRows;
  }

  return {
    columns: grouping.columns,
    types: grouping.types,
    windowSizeMs: size,
    eventTime: eventTimeFn !== undefined,
    push,
    advance,
    snapshot,
    restore,
    get lateRows() {
      return lateRows;
    },
    get openWindows() {
      return windows.size;
    },
  };
}
