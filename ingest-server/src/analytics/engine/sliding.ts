/**
 * Incremental sliding-window SELECT: `AGG(x) OVER w` items, with w a named window of the WINDOW
 * clause or an inline `OVER (PARTITION BY k RANGE INTERVAL '1' MINUTE PRECEDING | ROWS n PRECEDING)`,
 * mixed with plain expressions over the current row.
 *
 * Owns: one frame per (window, partition) holding the rows still inside it, with removable
 * accumulators (sliding-aggregates.ts) so each row costs O(1) amortized per aggregate; emitting
 * one output row per input row that passes WHERE, right away, at the input row's ROWTIME;
 * freeing RANGE partitions once the watermark has pushed all their rows out; snapshot/restore.
 * Semantics (KDA SQL Reference, "WINDOW Clause (Sliding Windows)" and "Window examples", i.e.
 * SQLstream's windowed aggregation):
 * - "one output row for each input row"; the frame always ends with the current row.
 * - `RANGE INTERVAL 'i' PRECEDING`: the partition's rows with ROWTIME in [t - i, t] that have
 *   arrived so far, the current row included. `RANGE CURRENT ROW` is the rows at exactly t.
 * - `ROWS n PRECEDING`: the current row and up to n rows before it in the partition, in arrival
 *   order ("the three preceding and the current row"), so ties on ROWTIME go by arrival.
 * - No PARTITION BY: the whole stream is one partition. NULL partition keys form one partition.
 * - A row that fails (SqlRuntimeError in WHERE, a partition key, an argument or an item) goes to
 *   `out.error` and leaves every frame as it was: keys and arguments are evaluated before any
 *   state changes; items that read aggregates run after the frames moved, and a failure there
 *   rolls the touched frames back (rebuilding their accumulators: O(frame), errors only).
 * Does not own: watermarks, joins, GROUP BY (tumbling.ts), or where the state is persisted.
 */
import type { Expr, Select, WindowSpec } from '../sql/index.js';
import { aggregateSpec } from './aggregates.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Compiled, Scope } from './expr.js';
import { AGGREGATE_NAMES, compileExpr } from './expr.js';
import type { Emitter, RowOperator } from './operator.js';
import type { SlidingAccumulator } from './sliding-aggregates.js';
import { slidingAccumulator } from './sliding-aggregates.js';
import type { Row, Value, ValueType } from './values.js';

/** No options yet; the parameter keeps the signature of the other window operators. */
export type SlidingOptions = Readonly<Record<string, never>>;

export interface SlidingOperator extends RowOperator {
  /** (window, partition) frames holding rows. */
  readonly openPartitions: number;
  /** Rows held in all frames. */
  readonly bufferedRows: number;
}

/** The rows of one partition still in its frame, oldest first, and its accumulators. */
interface Frame {
  readonly key: Value;
  /** ROWTIME of each row; rows before `head` have left the frame (compacted lazily). */
  times: number[];
  /** The aggregates' argument values, `stride` per row, aligned with `times`. */
  args: Value[];
  head: number;
  readonly accumulators: SlidingAccumulator[];
}

interface WindowPlan {
  /** RANGE width in ms, or undefined for ROWS. */
  readonly rangeMs: number | undefined;
  /** Most rows a ROWS frame holds, the current one included. */
  readonly maxRows: number;
  readonly keyFn: (row: Row) => Value;
  /** Argument of each aggregate over this window (undefined: COUNT(*)). */
  readonly argFns: (((row: Row) => Value) | undefined)[];
  readonly factories: (() => SlidingAccumulator)[];
  /** Index in the operator's result array of each aggregate's result. */
  readonly resultSlots: number[];
  readonly frames: Map<Value, Frame>;
}

const COMPACT_AFTER = 1024;

/** Structural key of an AST node, positions ignored: to share identical windows and aggregates. */
function canonical(node: unknown): string {
  return JSON.stringify(node, (key, v: unknown) => (key === 'pos' ? undefined : v));
}

function outputName(item: Extract<Select['items'][number], { kind: 'expr' }>, index: number): string {
  if (item.alias !== undefined) return item.alias;
  if (item.expr.kind === 'column') return item.expr.name;
  if (item.expr.kind === 'rowtime') return 'ROWTIME';
  return `EXPR$${index}`;
}

function partitionKeyFn(keys: Compiled[]): (row: Row) => Value {
  const [only] = keys;
  if (keys.length === 0) return () => '';
  if (keys.length === 1 && only) return only.fn;
  const fns = keys.map((k) => k.fn);
  return (row) => JSON.stringify(fns.map((f) => f(row)));
}

/** Builds the operator for a SELECT whose aggregates are all `OVER` a sliding window. */
export function sliding(select: Select, scope: Scope, options: SlidingOptions = {}): SlidingOperator {
  void options;
  if (select.groupBy && select.groupBy.length > 0) {
    throw new SqlCompileError('GROUP BY cannot be combined with OVER windows: a sliding-window query emits one row per input row, a GROUP BY query one per group and window', select.groupBy[0]?.pos ?? select.pos);
  }
  if (select.windowedBy) throw new SqlCompileError('WINDOWED BY STAGGER cannot be combined with OVER windows', select.pos);
  if (select.having) throw new SqlCompileError('HAVING needs GROUP BY; filter a sliding window in an outer query instead', select.having.pos);
  if (select.joins.length > 0) throw new SqlCompileError('a sliding-window SELECT over a JOIN is not supported', select.joins[0]?.pos ?? select.pos);
  if (select.distinct) throw new SqlCompileError('SELECT DISTINCT is not supported with sliding windows', select.pos);
  if (select.orderBy && select.orderBy.length > 0) throw new SqlCompileError('ORDER BY is not supported with sliding windows', select.orderBy[0]?.expr.pos ?? select.pos);

  const named = new Map<string, WindowSpec>();
  for (const w of select.windows ?? []) {
    if (named.has(w.name)) throw new SqlCompileError(`window "${w.name}" is defined twice`, w.pos);
    named.set(w.name, w);
  }

  const plans: WindowPlan[] = [];
  const planOf = new Map<string, WindowPlan>();
  const resultTypes: ValueType[] = [];
  const slotOf = new Map<string, number>();
  const results: Value[] = [];

  function planFor(spec: WindowSpec): WindowPlan {
    const key = canonical({ partitionBy: spec.partitionBy, frame: spec.frame });
    let plan = planOf.get(key);
    if (!plan) {
      const { frame } = spec;
      plan = {
        rangeMs: frame.kind === 'RANGE' ? frame.ms : undefined,
        maxRows: frame.kind === 'ROWS' ? frame.n + 1 : Infinity,
        keyFn: partitionKeyFn(spec.partitionBy.map((e) => compileExpr(e, scope, { substitute: noAggregates }))),
        argFns: [],
        factories: [],
        resultSlots: [],
        frames: new Map(),
      };
      planOf.set(key, plan);
      plans.push(plan);
    }
    return plan;
  }

  // Inside an aggregate's argument or a PARTITION BY, another aggregate means nothing.
  function noAggregates(e: Expr): Compiled | undefined {
    if (e.kind === 'call' && (e.over || AGGREGATE_NAMES.has(e.name))) {
      throw new SqlCompileError(`aggregate ${e.name} cannot be nested in an aggregate argument or a PARTITION BY`, e.pos);
    }
    return undefined;
  }

  let readsAggregate = false;
  function substitute(e: Expr): Compiled | undefined {
    if (e.kind !== 'call') return undefined;
    if (!e.over) {
      if (!AGGREGATE_NAMES.has(e.name)) return undefined;
      throw new SqlCompileError(`aggregate ${e.name} without OVER: a sliding-window query needs ${e.name}(...) OVER a window; to aggregate per period use GROUP BY with STEP(ROWTIME BY ...)`, e.pos);
    }
    if (!AGGREGATE_NAMES.has(e.name)) throw new SqlCompileError(`${e.name} is not an aggregate and cannot be used OVER a window`, e.pos);
    let spec: WindowSpec | undefined;
    if (e.over.kind === 'named') {
      spec = named.get(e.over.name);
      if (!spec) throw new SqlCompileError(`unknown window "${e.over.name}"`, e.pos);
    } else {
      spec = e.over.spec;
    }
    readsAggregate = true;
    const key = canonical({ e: { ...e, over: undefined }, partitionBy: spec.partitionBy, frame: spec.frame });
    let slot = slotOf.get(key);
    if (slot === undefined) {
      const arg = e.star ? undefined : e.args[0] && compileExpr(e.args[0], scope, { substitute: noAggregates });
      const agg = aggregateSpec(e, arg);
      const plan = planFor(spec);
      slot = results.length;
      slotOf.set(key, slot);
      results.push(null);
      resultTypes.push(agg.type);
      plan.argFns.push(agg.arg?.fn);
      plan.factories.push(slidingAccumulator(e, agg.arg?.type));
      plan.resultSlots.push(slot);
    }
    const i = slot;
    return { type: resultTypes[i] ?? 'NULL', fn: () => results[i] ?? null };
  }

  const columns: string[] = [];
  const types: ValueType[] = [];
  /** Items over the input row only, run before any state changes; then the ones reading aggregates. */
  const early: { index: number; fn: (row: Row) => Value }[] = [];
  const late: { index: number; fn: (row: Row) => Value }[] = [];
  select.items.forEach((item, i) => {
    if (item.kind === 'star') {
      scope.columns.forEach((c, slot) => {
        if (item.table !== undefined && !c.tables.includes(item.table)) return;
        early.push({ index: columns.length, fn: (row) => row.values[slot] ?? null });
        columns.push(c.name);
        types.push(c.type);
      });
      return;
    }
    readsAggregate = false;
    const compiled = compileExpr(item.expr, scope, { substitute });
    (readsAggregate ? late : early).push({ index: columns.length, fn: compiled.fn });
    columns.push(outputName(item, i));
    types.push(compiled.type);
  });
  const where = select.where && compileExpr(select.where, scope, { substitute: noAggregates });
  if (where && where.type !== 'BOOLEAN' && where.type !== 'NULL') throw new SqlCompileError(`WHERE needs a BOOLEAN, found ${where.type}`, select.where?.pos ?? select.pos);

  const keys: Value[] = plans.map(() => null);
  const argValues: Value[][] = plans.map((p) => p.argFns.map(() => null));
  // Undo information for the frame the current push touched in each window, in plan order:
  // preallocated so that the per-row path allocates nothing but the output row.
  const touched: (Frame | undefined)[] = plans.map(() => undefined);
  const touchedCreated: boolean[] = plans.map(() => false);
  const touchedHead: number[] = plans.map(() => 0);
  const touchedLength: number[] = plans.map(() => 0);

  function newFrame(plan: WindowPlan, key: Value): Frame {
    return { key, times: [], args: [], head: 0, accumulators: plan.factories.map((f) => f()) };
  }

  /** Moves `plan`'s frame for this row: drops the rows that leave it, adds the row, reads the results. */
  function slide(w: number, plan: WindowPlan, key: Value, rowtime: number, args: Value[]): void {
    let frame = plan.frames.get(key);
    touchedCreated[w] = !frame;
    if (!frame) {
      frame = newFrame(plan, key);
      plan.frames.set(key, frame);
    }
    touched[w] = frame;
    touchedHead[w] = frame.head;
    touchedLength[w] = frame.times.length;
    const { times, accumulators } = frame;
    const stride = accumulators.length;
    const lowMs = plan.rangeMs === undefined ? -Infinity : rowtime - plan.rangeMs;
    // The current row enters below, so a ROWS frame keeps at most maxRows - 1 older rows.
    while (frame.head < times.length && ((times[frame.head] ?? 0) < lowMs || times.length - frame.head >= plan.maxRows)) {
      const base = frame.head * stride;
      for (let a = 0; a < stride; a++) accumulators[a]?.removeOldest(frame.args[base + a] ?? null);
      frame.head++;
    }
    times.push(rowtime);
    for (let a = 0; a < stride; a++) {
      const v = args[a] ?? null;
      frame.args.push(v);
      const acc = accumulators[a];
      if (!acc) continue;
      acc.add(v);
      results[plan.resultSlots[a] ?? 0] = acc.result();
    }
  }

  /** Puts window w's frame back as it was before `slide`, rebuilding its accumulators from its rows. */
  function rollback(w: number, plan: WindowPlan): void {
    const frame = touched[w];
    if (!frame) return;
    if (touchedCreated[w]) {
      plan.frames.delete(frame.key);
      return;
    }
    const length = touchedLength[w] ?? 0;
    frame.times.length = length;
    frame.args.length = length * frame.accumulators.length;
    frame.head = touchedHead[w] ?? 0;
    replay(frame);
  }

  function replay(frame: Frame): void {
    const stride = frame.accumulators.length;
    frame.accumulators.forEach((acc, a) => {
      acc.clear();
      for (let r = frame.head; r < frame.times.length; r++) acc.add(frame.args[r * stride + a] ?? null);
    });
  }

  function compact(frame: Frame): void {
    if (frame.head < COMPACT_AFTER || frame.head * 2 < frame.times.length) return;
    frame.args.splice(0, frame.head * frame.accumulators.length);
    frame.times.splice(0, frame.head);
    frame.head = 0;
  }

  function push(row: Row, out: Emitter): void {
    let values: Value[];
    try {
      if (where && where.fn(row) !== true) return;
      values = new Array<Value>(columns.length);
      for (let w = 0; w < plans.length; w++) {
        const plan = plans[w] as WindowPlan;
        keys[w] = plan.keyFn(row);
        const argsOut = argValues[w] as Value[];
        for (let a = 0; a < plan.argFns.length; a++) argsOut[a] = plan.argFns[a]?.(row) ?? null;
      }
      for (const item of early) values[item.index] = item.fn(row);
    } catch (err) {
      if (!(err instanceof SqlRuntimeError)) throw err;
      out.error(err, row);
      return;
    }
    touched.fill(undefined);
    try {
      for (let w = 0; w < plans.length; w++) slide(w, plans[w] as WindowPlan, keys[w] ?? null, row.rowtime, argValues[w] as Value[]);
      for (const item of late) values[item.index] = item.fn(row);
    } catch (err) {
      plans.forEach((plan, w) => rollback(w, plan));
      if (!(err instanceof SqlRuntimeError)) throw err;
      out.error(err, row);
      return;
    }
    for (const frame of touched) if (frame) compact(frame);
    out.row({ rowtime: row.rowtime, values });
  }

  function advance(watermarkMs: number): void {
    // A future row has ROWTIME >= watermark, so its frame starts at or after watermark - range:
    // a RANGE frame whose newest row is older than that can never contribute again.
    for (const plan of plans) {
      if (plan.rangeMs === undefined) continue;
      const lowMs = watermarkMs - plan.rangeMs;
      for (const [key, frame] of plan.frames) {
        const newest = frame.times[frame.times.length - 1];
        if (newest === undefined || newest < lowMs) plan.frames.delete(key);
      }
    }
  }

  return {
    columns,
    types,
    push,
    advance,
    snapshot: () => snapshotOf(plans),
    restore(state: unknown) {
      restoreInto(plans, state, (plan, key) => newFrame(plan, key));
      for (const plan of plans) for (const frame of plan.frames.values()) replay(frame);
    },
    get openPartitions() {
      return plans.reduce((n, p) => n + p.frames.size, 0);
    },
    get bufferedRows() {
      let n = 0;
      for (const plan of plans) for (const frame of plan.frames.values()) n += frame.times.length - frame.head;
      return n;
    },
  };
}

/**
 * JSON has no NaN, ±Infinity or -0, all legal DOUBLE values: they are written as `{ f: text }`
 * (a Value is never an object, so the form is unambiguous).
 */
function encodeValue(v: Value): unknown {
  if (typeof v !== 'number' || (Number.isFinite(v) && !Object.is(v, -0))) return v;
  return { f: Object.is(v, -0) ? '-0' : String(v) };
}

function decodeValue(v: unknown): Value {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  const f = (v as { f?: unknown }).f;
  if (f === '-0') return -0;
  if (f === 'NaN' || f === 'Infinity' || f === '-Infinity') return Number(f);
  throw new SqlRuntimeError('SchemaMismatch', 'sliding-window snapshot holds an invalid value');
}

/**
 * State: per window (in plan order), its frames as `[key, rowtimes, argument values]` with only
 * the rows still in the frame. Accumulators are not stored: they are rebuilt by replaying the
 * rows, which gives the same results because they depend on the frame's contents only.
 */
type FrameState = [unknown, number[], unknown[]];

function snapshotOf(plans: readonly WindowPlan[]): unknown {
  return {
    version: 1,
    windows: plans.map((plan) => [...plan.frames.values()].map((frame): FrameState => [
      encodeValue(frame.key),
      frame.times.slice(frame.head),
      frame.args.slice(frame.head * frame.accumulators.length).map(encodeValue),
    ])),
  };
}

function restoreInto(plans: readonly WindowPlan[], state: unknown, create: (plan: WindowPlan, key: Value) => Frame): void {
  const s = state as { version?: unknown; windows?: unknown } | null;
  const windows = s?.windows;
  if (s?.version !== 1 || !Array.isArray(windows) || windows.length !== plans.length) {
    throw new SqlRuntimeError('SchemaMismatch', 'sliding-window snapshot does not match this query');
  }
  plans.forEach((plan, w) => {
    plan.frames.clear();
    for (const entry of windows[w] as FrameState[]) {
      const [key, times, args] = entry;
      const frame = create(plan, decodeValue(key));
      if (!Array.isArray(times) || !Array.isArray(args) || args.length !== times.length * frame.accumulators.length) {
        throw new SqlRuntimeError('SchemaMismatch', 'sliding-window snapshot does not match this query');
      }
      frame.times = times.map(Number);
      frame.args = args.map(decodeValue);
      plan.frames.set(frame.key, frame);
    }
  });
}
