/**
 * Accumulators of the GROUP BY / STAGGER aggregates: COUNT(*), COUNT(x), COUNT(DISTINCT x),
 * SUM, AVG, MIN, MAX. Each takes one value per row in O(1) and yields its result once, when the
 * window closes; NULL inputs are ignored, and SUM/AVG/MIN/MAX of no values is NULL (SQL).
 *
 * Owns: the accumulators and their JSON snapshots (`encodeValue` keeps NaN, ±Infinity and -0,
 * which JSON would lose); the "group row" helpers the tumbling and stagger operators share:
 * `groupKeyOf` (the Map key of a group) and `compileGroupOutputs` (SELECT items and HAVING
 * compiled over `[keys..., aggregates...]`).
 * Does not own: which rows go to which group (the window operators) or evaluating arguments.
 */
import type { Expr, Select } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Compiled, Scope } from './expr.js';
import { AGGREGATE_NAMES, compileExpr, resolveColumn } from './expr.js';
import { outputName } from './project.js';
import type { Row, Value, ValueType } from './values.js';
import { compareValues } from './values.js';

export interface Accumulator {
  add(v: Value): void;
  result(): Value;
}

/** An accumulator whose state can be checkpointed as plain JSON and loaded back. */
export interface CheckpointAccumulator extends Accumulator {
  snapshot(): unknown;
  restore(state: unknown): void;
}

/** A compiled aggregate: its argument (absent for COUNT(*)), result type and accumulator factory. */
export interface AggregateSpec {
  readonly arg?: Compiled;
  readonly type: ValueType;
  create(): CheckpointAccumulator;
}

/** The snapshot does not fit the operator it is loaded into. */
export function badSnapshot(what: string): SqlRuntimeError {
  return new SqlRuntimeError('SchemaMismatch', `snapshot does not match this operator: ${what}`);
}

/** A Value as JSON: numbers JSON cannot hold (NaN, ±Infinity, -0) become `{ n: text }`. */
export function encodeValue(v: Value): unknown {
  if (typeof v !== 'number' || (Number.isFinite(v) && !Object.is(v, -0))) return v;
  return { n: Object.is(v, -0) ? '-0' : String(v) };
}

export function decodeValue(x: unknown): Value {
  if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  const n = (x as { n?: unknown } | undefined)?.n;
  if (typeof n !== 'string') throw badSnapshot('not a value');
  return n === '-0' ? -0 : Number(n);
}

class Count implements CheckpointAccumulator {
  n = 0;
  constructor(private readonly star: boolean) {}
  add(v: Value): void {
    if (this.star || v !== null) this.n++;
  }
  result(): Value {
    return this.n;
  }
  snapshot(): unknown {
    return this.n;
  }
  restore(state: unknown): void {
    if (typeof state !== 'number') throw badSnapshot('COUNT');
    this.n = state;
  }
}

class CountDistinct implements CheckpointAccumulator {
  readonly seen = new Set<Value>();
  add(v: Value): void {
    if (v !== null) this.seen.add(v);
  }
  result(): Value {
    return this.seen.size;
  }
  snapshot(): unknown {
    return [...this.seen].map(encodeValue);
  }
  restore(state: unknown): void {
    if (!Array.isArray(state)) throw badSnapshot('COUNT(DISTINCT)');
    this.seen.clear();
    for (const x of state) this.seen.add(decodeValue(x));
  }
}

class Sum implements CheckpointAccumulator {
  sum = 0;
  n = 0;
  constructor(private readonly mode: 'SUM' | 'AVG', private readonly integral: boolean) {}
  add(v: Value): void {
    if (v === null) return;
    this.sum += v as number;
    this.n++;
  }
  result(): Value {
    if (this.n === 0) return null;
    if (this.mode === 'SUM') return this.sum;
    // AVG of an exact (integer) type is exact too: truncated, as in Calcite/SQLstream.
    return this.integral ? Math.trunc(this.sum / this.n) : this.sum / this.n;
  }
  snapshot(): unknown {
    return [encodeValue(this.sum), this.n];
  }
  restore(state: unknown): void {
    const [sum, n] = Array.isArray(state) ? (state as unknown[]) : [];
    const decoded = decodeValue(sum ?? null);
    if (typeof decoded !== 'number' || typeof n !== 'number') throw badSnapshot(this.mode);
    this.sum = decoded;
    this.n = n;
  }
}

class Extreme implements CheckpointAccumulator {
  best: Value = null;
  constructor(private readonly sign: 1 | -1) {}
  add(v: Value): void {
    if (v !== null && (this.best === null || this.sign * compareValues(v, this.best) > 0)) this.best = v;
  }
  result(): Value {
    return this.best;
  }
  snapshot(): unknown {
    return encodeValue(this.best);
  }
  restore(state: unknown): void {
    this.best = decodeValue(state);
  }
}

const NUMERIC: readonly ValueType[] = ['INTEGER', 'DOUBLE', 'NULL'];

/** Compiles an aggregate call whose argument is already compiled against the input scope. */
export function aggregateSpec(call: Extract<Expr, { kind: 'call' }>, arg: Compiled | undefined): AggregateSpec {
  const { name, pos } = call;
  if (call.star) {
    if (name !== 'COUNT') throw new SqlCompileError(`${name}(*) is not valid; only COUNT(*)`, pos);
    return { type: 'INTEGER', create: () => new Count(true) };
  }
  if (!arg || call.args.length !== 1) throw new SqlCompileError(`${name} takes one argument`, pos);
  if (call.distinct && name !== 'COUNT') throw new SqlCompileError(`${name}(DISTINCT ...) is not supported; only COUNT(DISTINCT ...)`, pos);
  switch (name) {
    case 'COUNT':
      return { arg, type: 'INTEGER', create: call.distinct ? () => new CountDistinct() : () => new Count(false) };
    case 'SUM':
    case 'AVG': {
      if (!NUMERIC.includes(arg.type)) throw new SqlCompileError(`${name} needs a number, found ${arg.type}`, pos);
      const integral = arg.type === 'INTEGER';
      return { arg, type: integral ? 'INTEGER' : 'DOUBLE', create: () => new Sum(name, integral) };
    }
    case 'MIN':
    case 'MAX': {
      const sign = name === 'MAX' ? 1 : -1;
      return { arg, type: arg.type, create: () => new Extreme(sign) };
    }
    default:
      throw new SqlCompileError(`unknown aggregate ${name}`, pos);
  }
}

/**
 * The Map key of a group. One key is used as is (Maps compare by SameValueZero, like SQL `=` on
 * -0 and 0); several are joined with strings length-prefixed, so no two tuples share a key
 * (JSON.stringify would merge NULL with NaN and ±Infinity).
 */
export function groupKeyOf(values: readonly Value[]): unknown {
  if (values.length === 1) return values[0];
  let key = '';
  for (const v of values) key += typeof v === 'string' ? `s${v.length}:${v}` : v === null ? 'z' : `${typeof v === 'number' ? 'n' : 'b'}${String(v)};`;
  return key;
}

/**
 * Structural key of an expression, so that a SELECT item can be matched with a GROUP BY or
 * PARTITION BY item: positions are ignored and columns compare by the slot they resolve to
 * (`s.price` = `price`).
 */
export function canonicalExpr(e: Expr, scope: Scope): string {
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

/** The output side of a grouped SELECT, evaluated over a group row `[keys..., aggregates...]`. */
export interface GroupOutputs {
  readonly columns: string[];
  readonly types: ValueType[];
  readonly aggregates: AggregateSpec[];
  /** One per SELECT item; each reads a group row whose ROWTIME is the output row's. */
  readonly outputs: ((groupRow: Row) => Value)[];
  readonly having?: (groupRow: Row) => Value;
}

/**
 * Compiles SELECT items and HAVING of `select` over group rows: `keys[i]` is slot i, then one slot
 * per distinct aggregate call. `unresolvedReason` says why a bare column cannot be used.
 */
export function compileGroupOutputs(
  select: Select,
  scope: Scope,
  keys: readonly { readonly expr: Expr; readonly type: ValueType }[],
  unresolvedReason: string,
): GroupOutputs {
  const slotOf = new Map<string, number>();
  const slotTypes: ValueType[] = [];
  keys.forEach((k, i) => {
    slotOf.set(canonicalExpr(k.expr, scope), i);
    slotTypes.push(k.type);
  });
  const aggregates: AggregateSpec[] = [];
  const groupScope: Scope = { columns: [], tables: scope.tables, unresolvedReason };
  const substitute = (e: Expr): Compiled | undefined => {
    const key = canonicalExpr(e, scope);
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
  const compiled = select.items.map((item, i) => {
    if (item.kind === 'star') throw new SqlCompileError('SELECT * cannot be used with an aggregating window', item.pos);
    columns.push(outputName(item, i));
    return compileExpr(item.expr, groupScope, { substitute });
  });
  const having = select.having && compileExpr(select.having, groupScope, { substitute }).fn;
  return { columns, types: compiled.map((c) => c.type), aggregates, outputs: compiled.map((c) => c.fn), ...(having ? { having } : {}) };
}
