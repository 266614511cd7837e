/**
 * Removable accumulators for sliding windows: the aggregates of aggregates.ts (COUNT(*),
 * COUNT(x), COUNT(DISTINCT x), SUM, AVG, MIN, MAX) that can also drop their oldest value, so a
 * frame slides in O(1) amortized per row instead of being recomputed.
 *
 * Owns: the incremental state of one aggregate over one frame, and its result. Values leave a
 * frame in the order they entered it (FIFO), which is what lets MIN/MAX use a monotonic deque.
 * Same SQL rules as aggregates.ts: NULL inputs are ignored, SUM/AVG/MIN/MAX of no values is NULL,
 * AVG of an INTEGER truncates.
 * Does not own: which rows are in a frame (sliding.ts), typing and argument checks (aggregateSpec
 * in aggregates.ts), or persistence: an accumulator is rebuilt by replaying its frame's values,
 * so every result here is a function of the frame's contents only, never of its history.
 */
import type { Expr } from '../sql/index.js';
import type { Value, ValueType } from './values.js';
import { compareValues } from './values.js';

export interface SlidingAccumulator {
  /** The newest value of the frame. */
  add(v: Value): void;
  /** Drops the oldest value of the frame; `v` is what `add` received for it. */
  removeOldest(v: Value): void;
  result(): Value;
  clear(): void;
}

/**
 * An exact running sum of doubles that supports subtraction: Shewchuk's non-overlapping partials
 * (the algorithm of Python's math.fsum). A naive `sum += x; sum -= y` drifts without bound over
 * millions of rows, and Kahan compensation only slows the drift; here adding -y cancels y
 * exactly, so after any history the partials hold exactly the sum of the values in the frame and
 * `value()` is that sum correctly rounded. Usually 1 to 3 partials, so still O(1) per value.
 * Non-finite values are counted apart (they would poison the partials), and the result follows
 * IEEE: any NaN, or +Infinity with -Infinity, gives NaN. Limitation: a partial sum beyond ±1.8e308
 * overflows to Infinity as it would with plain addition.
 */
export class ExactSum {
  private readonly partials: number[] = [];
  private posInf = 0;
  private negInf = 0;
  private nan = 0;

  add(x: number): void {
    this.fold(x, 1);
  }

  subtract(x: number): void {
    this.fold(x, -1);
  }

  private fold(value: number, sign: 1 | -1): void {
    if (!Number.isFinite(value)) {
      if (Number.isNaN(value)) this.nan += sign;
      else if (value > 0) this.posInf += sign;
      else this.negInf += sign;
      return;
    }
    let x = sign * value;
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j] ?? 0;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    if (x !== 0 || i === 0) p.push(x);
  }

  value(): number {
    if (this.nan > 0 || (this.posInf > 0 && this.negInf > 0)) return NaN;
    if (this.posInf > 0) return Infinity;
    if (this.negInf > 0) return -Infinity;
    // Python's msum rounding: add the partials from the largest down until one rounds, then
    // correct a half-way case, so the result is the exact sum correctly rounded.
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n] ?? 0;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n] ?? 0;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    const below = p[n - 1] ?? 0;
    if (n > 0 && ((lo < 0 && below < 0) || (lo > 0 && below > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  clear(): void {
    this.partials.length = 0;
    this.posInf = 0;
    this.negInf = 0;
    this.nan = 0;
  }
}

class SlidingCount implements SlidingAccumulator {
  private n = 0;
  constructor(private readonly star: boolean) {}
  add(v: Value): void {
    if (this.star || v !== null) this.n++;
  }
  removeOldest(v: Value): void {
    if (this.star || v !== null) this.n--;
  }
  result(): Value {
    return this.n;
  }
  clear(): void {
    this.n = 0;
  }
}

class SlidingCountDistinct implements SlidingAccumulator {
  /** value → how many times it is in the frame; a value leaves the map when its count is 0. */
  private readonly counts = new Map<Value, number>();
  add(v: Value): void {
    if (v !== null) this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }
  removeOldest(v: Value): void {
    if (v === null) return;
    const n = (this.counts.get(v) ?? 0) - 1;
    if (n > 0) this.counts.set(v, n);
    else this.counts.delete(v);
  }
  result(): Value {
    return this.counts.size;
  }
  clear(): void {
    this.counts.clear();
  }
}

/** SUM and AVG of INTEGERs: JS numbers are exact up to 2^53, so a plain running sum is exact. */
class SlidingIntegerSum implements SlidingAccumulator {
  private sum = 0;
  private n = 0;
  constructor(private readonly avg: boolean) {}
  add(v: Value): void {
    if (v === null) return;
    this.sum += v as number;
    this.n++;
  }
  removeOldest(v: Value): void {
    if (v === null) return;
    this.sum -= v as number;
    this.n--;
  }
  result(): Value {
    if (this.n === 0) return null;
    // AVG of an exact (integer) type is exact too: truncated, as in aggregates.ts (`+ 0` turns
    // the -0 of Math.trunc(-0.5) into the 0 an INTEGER can hold).
    return this.avg ? Math.trunc(this.sum / this.n) + 0 : this.sum;
  }
  clear(): void {
    this.sum = 0;
    this.n = 0;
  }
}

class SlidingDoubleSum implements SlidingAccumulator {
  private readonly sum = new ExactSum();
  private n = 0;
  constructor(private readonly avg: boolean) {}
  add(v: Value): void {
    if (v === null) return;
    this.sum.add(v as number);
    this.n++;
  }
  removeOldest(v: Value): void {
    if (v === null) return;
    this.sum.subtract(v as number);
    this.n--;
  }
  result(): Value {
    if (this.n === 0) return null;
    return this.avg ? this.sum.value() / this.n : this.sum.value();
  }
  clear(): void {
    this.sum.clear();
    this.n = 0;
  }
}

/**
 * MIN/MAX over a FIFO frame with a monotonic deque: it holds the values that can still become
 * the extreme (each one better than every value after it), tagged with their position in the
 * frame. Each value is pushed and popped at most once, so O(1) amortized per row.
 */
class SlidingExtreme implements SlidingAccumulator {
  private values: Value[] = [];
  private positions: number[] = [];
  private head = 0;
  /** Position of the next value to add, and of the oldest value still in the frame. */
  private added = 0;
  private removed = 0;
  constructor(private readonly sign: 1 | -1) {}

  add(v: Value): void {
    const position = this.added++;
    if (v === null) return;
    const { values, positions, sign } = this;
    // Drop the values the new one beats: they leave the frame before it, so can never win.
    while (values.length > this.head && sign * compareValues(v, values[values.length - 1] as string | number | boolean) >= 0) {
      values.pop();
      positions.pop();
    }
    values.push(v);
    positions.push(position);
  }

  removeOldest(): void {
    const position = this.removed++;
    if (this.head < this.values.length && this.positions[this.head] === position) {
      this.head++;
      if (this.head >= 64 && this.head * 2 >= this.values.length) {
        this.values = this.values.slice(this.head);
        this.positions = this.positions.slice(this.head);
        this.head = 0;
      }
    }
  }

  result(): Value {
    return this.head < this.values.length ? (this.values[this.head] ?? null) : null;
  }

  clear(): void {
    this.values = [];
    this.positions = [];
    this.head = 0;
    this.added = 0;
    this.removed = 0;
  }
}

/**
 * The accumulator factory of an aggregate call that `aggregateSpec` has already checked.
 * `argType` is the static type of the argument (undefined for COUNT(*)).
 */
export function slidingAccumulator(call: Extract<Expr, { kind: 'call' }>, argType: ValueType | undefined): () => SlidingAccumulator {
  if (call.star) return () => new SlidingCount(true);
  switch (call.name) {
    case 'COUNT':
      return call.distinct ? () => new SlidingCountDistinct() : () => new SlidingCount(false);
    case 'SUM':
    case 'AVG': {
      const avg = call.name === 'AVG';
      return argType === 'INTEGER' ? () => new SlidingIntegerSum(avg) : () => new SlidingDoubleSum(avg);
    }
    default: {
      // MIN or MAX: aggregateSpec has rejected every other name.
      const sign = call.name === 'MAX' ? 1 : -1;
      return () => new SlidingExtreme(sign);
    }
  }
}
