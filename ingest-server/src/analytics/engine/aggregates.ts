/**
 * Accumulators of the GROUP BY aggregates: COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM, AVG,
 * MIN, MAX. Each takes one value per row in O(1) and yields its result once, when the window
 * closes; NULL inputs are ignored, and SUM/AVG/MIN/MAX of no values is NULL (SQL).
 * Does not own: which rows go to which group (the window operators) or evaluating arguments.
 */
import type { Expr } from '../sql/index.js';
import { SqlCompileError } from './errors.js';
import type { Compiled } from './expr.js';
import type { Value, ValueType } from './values.js';
import { compareValues } from './values.js';

export interface Accumulator {
  add(v: Value): void;
  result(): Value;
}

/** A compiled aggregate: its argument (absent for COUNT(*)), result type and accumulator factory. */
export interface AggregateSpec {
  readonly arg?: Compiled;
  readonly type: ValueType;
  create(): Accumulator;
}

class Count implements Accumulator {
  n = 0;
  constructor(private readonly star: boolean) {}
  add(v: Value): void {
    if (this.star || v !== null) this.n++;
  }
  result(): Value {
    return this.n;
  }
}

class CountDistinct implements Accumulator {
  readonly seen = new Set<Value>();
  add(v: Value): void {
    if (v !== null) this.seen.add(v);
  }
  result(): Value {
    return this.seen.size;
  }
}

class Sum implements Accumulator {
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
}

class Extreme implements Accumulator {
  best: Value = null;
  constructor(private readonly sign: 1 | -1) {}
  add(v: Value): void {
    if (v !== null && (this.best === null || this.sign * compareValues(v, this.best) > 0)) this.best = v;
  }
  result(): Value {
    return this.best;
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
