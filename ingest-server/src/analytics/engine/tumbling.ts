/**
 * Incremental tumbling-window GROUP BY: `GROUP BY key, STEP(ROWTIME BY INTERVAL '60' SECOND)`
 * or `GROUP BY key, FLOOR(ROWTIME TO MINUTE)`.
 *
 * Owns: state per (window, group key); `push` folds one row into it in O(1); `advance` closes
 * every window whose end is at or before `watermark - graceMs`, emits its rows in window order
 * (groups in first-seen order within a window) and frees its state.
 * Semantics:
 * - Windows are aligned to the epoch: a row belongs to [floor(ROWTIME / size) * size, + size).
 * - An output row's ROWTIME is the window's end (SQLstream, on which KDA is built: a GROUP BY
 *   row becomes visible when its period closes). The window key itself (the STEP or FLOOR
 *   expression) selects the window's start.
 * - Late rows: a row whose window was already closed by `advance` is dropped, counted in
 *   `lateRows`, and `push` returns 'late' so the caller can route it (e.g. to error_stream).
 * - A row that fails to evaluate (SqlRuntimeError) throws from `push` before any state
 *   changes; an output row that fails is returned in `errors`, and the others still emit.
 * Does not own: watermarks (the caller decides when time has passed), I/O, or checkpoints.
 */
import type { Expr, Select } from '../sql/index.js';
import type { Accumulator, AggregateSpec } from './aggregates.js';
import { aggregateSpec } from './aggregates.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Compiled, Scope } from './expr.js';
import { AGGREGATE_NAMES, compileExpr, resolveColumn } from './expr.js';
import { stepFloor } from './functions.js';
import type { Row, Value, ValueType } from './values.js';

export interface TumblingOptions {
  /** How long after a window's end it stays open for late rows. Default 0. */
  readonly graceMs?: number;
}

export type PushResult = 'accepted' | 'filtered' | 'late';

export interface TumblingEmit {
  readonly rows: Row[];
  /** Output rows that failed to evaluate, with the window they belong to. */
  readonly errors: { readonly error: SqlRuntimeError; readonly windowEndMs: number }[];
}

export interface TumblingOperator {
  /** Output column names, in SELECT order. */
  readonly columns: readonly string[];
  readonly types: readonly ValueType[];
  readonly windowSizeMs: number;
  push(row: Row): PushResult;
  advance(watermarkMs: number): TumblingEmit;
  /** Rows dropped so far because their window had already closed. */
  readonly lateRows: number;
  /** Windows holding state. */
  readonly openWindows: number;
}

interface Group {
  readonly keys: readonly Value[];
  readonly accumulators: Accumulator[];
}

const FIXED_UNIT_MS: Readonly<Record<string, number>> = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

/** Window size when `e` is a tumbling-window key over ROWTIME, else undefined. */
function windowSizeOf(e: Expr): number | undefined {
  if (e.kind === 'step' && e.operand.kind === 'rowtime' && e.by.kind === 'interval') {
    if (e.by.ms === undefined || e.by.ms <= 0) throw new SqlCompileError('the STEP of a window must be a positive day-time INTERVAL', e.by.pos);
    return e.by.ms;
  }
  if (e.kind === 'timeFloor' && e.fn === 'FLOOR' && e.operand.kind === 'rowtime') {
    const ms = FIXED_UNIT_MS[e.unit];
    if (ms === undefined) throw new SqlCompileError(`a tumbling window cannot be FLOOR(ROWTIME TO ${e.unit})`, e.pos);
    return ms;
  }
  return undefined;
}

/**
 * Structural key of an expression, so that a SELECT item can be matched with a GROUP BY item:
 * positions are ignored and columns compare by the slot they resolve to (`s.price` = `price`).
 */
function canonical(e: Expr, scope: Scope): string {
  return JSON.stringify(e, (key, v: unknown) => {
    if (key === 'pos') return undefined;
    const node = v as { kind?: unknown; table?: string; name?: string; pos?: Expr['pos'] } | null;
    if (node?.kind === 'rowtime') return { kind: 'rowtime' };
    if (node?.kind === 'column' && node.name !== undefined && node.pos) {
      try {
        return { kind: 'column', slot: resolveColumn(scope, node.table, node.name, node.pos) };
      } catch {
        return { kind: 'column', table: node.table, name: node.name };
      }
    }
    return v;
  });
}

function outputName(item: Extract<Select['items'][number], { kind: 'expr' }>, index: number): string {
  if (item.alias !== undefined) return item.alias;
  if (item.expr.kind === 'column') return item.expr.name;
  if (item.expr.kind === 'rowtime') return 'ROWTIME';
  return `EXPR$${index}`;
}

/** Builds the operator for a SELECT with a tumbling-window GROUP BY, reading rows of `scope`. */
export function tumbling(select: Select, scope: Scope, options: TumblingOptions = {}): TumblingOperator {
  const graceMs = options.graceMs ?? 0;
  const groupBy = select.groupBy ?? [];
  if (select.windowedBy) throw new SqlCompileError('WINDOWED BY STAGGER is not a tumbling window', select.pos);

  let windowSizeMs: number | undefined;
  let windowKey: Expr | undefined;
  const keyExprs: Expr[] = [];
  for (const e of groupBy) {
    const size = windowSizeOf(e);
    if (size === undefined) {
      keyExprs.push(e);
    } else if (windowKey) {
      throw new SqlCompileError('GROUP BY has more than one window over ROWTIME', e.pos);
    } else {
      windowSizeMs = size;
      windowKey = e;
    }
  }
  if (!windowKey || windowSizeMs === undefined) {
    throw new SqlCompileError('a streaming GROUP BY needs STEP(ROWTIME BY INTERVAL ...) or FLOOR(ROWTIME TO unit)', groupBy[0]?.pos ?? select.pos);
  }
  const size = windowSizeMs;

  const where = select.where && compileExpr(select.where, scope);
  const keys = keyExprs.map((e) => compileExpr(e, scope));
  const keyFns = keys.map((k) => k.fn);

  // The output side reads a "group row": values = [windowStart, ...keys, ...aggregates].
  const slotOf = new Map<string, number>([[canonical(windowKey, scope), 0]]);
  const slotTypes: ValueType[] = ['TIMESTAMP'];
  keyExprs.forEach((e, i) => {
    slotOf.set(canonical(e, scope), i + 1);
    slotTypes.push(keys[i]?.type ?? 'NULL');
  });
  const aggregates: AggregateSpec[] = [];
  const groupScope: Scope = { columns: [], tables: scope.tables, unresolvedReason: 'must appear in GROUP BY or inside an aggregate' };
  const substitute = (e: Expr): Compiled | undefined => {
    const key = canonical(e, scope);
    let slot = slotOf.get(key);
    if (slot === undefined && e.kind === 'call' && !e.over && AGGREGATE_NAMES.has(e.name)) {
      const arg = e.star ? undefined : e.args[0] && compileExpr(e.args[0], scope);
      const spec = aggregateSpec(e, arg);
      slot = slotTypes.length;
      slotOf.set(key, slot);
      slotTypes.push(spec.type);
      aggregates.push(spec);
    }
    if (slot !== undefined) {
      const i = slot;
      return { type: slotTypes[i] ?? 'NULL', fn: (row) => row.values[i] ?? null };
    }
    if (e.kind === 'rowtime') return { type: 'TIMESTAMP', fn: (row) => row.rowtime };
    return undefined;
  };

  const columns: string[] = [];
  const outputs = select.items.map((item, i) => {
    if (item.kind === 'star') throw new SqlCompileError('SELECT * cannot be used with GROUP BY', item.pos);
    columns.push(outputName(item, i));
    return compileExpr(item.expr, groupScope, { substitute });
  });
  const having = select.having && compileExpr(select.having, groupScope, { substitute }).fn;
  const outputFns = outputs.map((o) => o.fn);
  const argFns = aggregates.map((a) => a.arg?.fn);
  const keyCount = keys.length;

  const windows = new Map<number, Map<unknown, Group>>();
  let closedThroughMs = -Infinity;
  let lateRows = 0;
  const args: Value[] = new Array<Value>(argFns.length).fill(null);

  function push(row: Row): PushResult {
    if (where && where.fn(row) !== true) return 'filtered';
    const start = stepFloor(row.rowtime, size);
    if (start + size <= closedThroughMs) {
      lateRows++;
      return 'late';
    }
    // Evaluate everything before touching state, so a failing row leaves no trace.
    const keyValues = keyFns.map((f) => f(row));
    for (let i = 0; i < argFns.length; i++) args[i] = argFns[i]?.(row) ?? null;
    let groups = windows.get(start);
    if (!groups) {
      groups = new Map();
      windows.set(start, groups);
    }
    const groupKey = keyCount === 0 ? '' : keyCount === 1 ? keyValues[0] : JSON.stringify(keyValues);
    let group = groups.get(groupKey);
    if (!group) {
      group = { keys: keyValues, accumulators: aggregates.map((a) => a.create()) };
      groups.set(groupKey, group);
    }
    for (let i = 0; i < args.length; i++) group.accumulators[i]?.add(args[i] ?? null);
    return 'accepted';
  }

  function advance(watermarkMs: number): TumblingEmit {
    const rows: Row[] = [];
    const errors: { error: SqlRuntimeError; windowEndMs: number }[] = [];
    const threshold = watermarkMs - graceMs;
    if (threshold <= closedThroughMs) return { rows, errors };
    closedThroughMs = threshold;
    const closing = [...windows.keys()].filter((start) => start + size <= threshold).sort((a, b) => a - b);
    for (const start of closing) {
      const end = start + size;
      for (const group of windows.get(start)?.values() ?? []) {
        const groupRow: Row = { rowtime: end, values: [start, ...group.keys, ...group.accumulators.map((a) => a.result())] };
        try {
          if (having && having(groupRow) !== true) continue;
          rows.push({ rowtime: end, values: outputFns.map((f) => f(groupRow)) });
        } catch (err) {
          if (!(err instanceof SqlRuntimeError)) throw err;
          errors.push({ error: err, windowEndMs: end });
        }
      }
      windows.delete(start);
    }
    return { rows, errors };
  }

  return {
    columns,
    types: outputs.map((o) => o.type),
    windowSizeMs: size,
    push,
    advance,
    get lateRows() {
      return lateRows;
    },
    get openWindows() {
      return windows.size;
    },
  };
}

