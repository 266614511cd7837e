import { describe, expect, it } from 'vitest';
import type { Expr } from '../sql/index.js';
import { mulberry32 } from '../../../../test/fixtures/prng.js';
import { ExactSum, slidingAccumulator } from './sliding-aggregates.js';
import type { Value, ValueType } from './values.js';

const pos = { line: 1, column: 1 };
function call(name: string, extra: { star?: boolean; distinct?: boolean } = {}): Extract<Expr, { kind: 'call' }> {
  return { kind: 'call', name, args: extra.star ? [] : [{ kind: 'column', name: 'X', pos }], distinct: extra.distinct ?? false, star: extra.star ?? false, pos };
}

/** Feeds `values` through a FIFO frame of `size` and returns the result after each add. */
function slide(name: string, argType: ValueType | undefined, values: Value[], size: number, extra: { star?: boolean; distinct?: boolean } = {}): Value[] {
  const acc = slidingAccumulator(call(name, extra), argType)();
  const out: Value[] = [];
  values.forEach((v, i) => {
    if (i >= size) acc.removeOldest(values[i - size] ?? null);
    acc.add(v);
    out.push(acc.result());
  });
  return out;
}

describe('ExactSum', () => {
  it('keeps the exact sum where naive addition loses it', () => {
    const sum = new ExactSum();
    for (const x of [1e16, 1, -1e16]) sum.add(x);
    expect(sum.value()).toBe(1);
    const tenths = new ExactSum();
    for (let i = 0; i < 10; i++) tenths.add(0.1);
    expect(tenths.value()).toBe(1);
  });

  it('cancels subtracted values exactly, whatever came before', () => {
    const rand = mulberry32(7);
    const values = Array.from({ length: 20_000 }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 4));
    const sliding = new ExactSum();
    values.forEach((v, i) => {
      sliding.add(v);
      if (i >= 100) sliding.subtract(values[i - 100] ?? 0);
    });
    const fresh = new ExactSum();
    for (const v of values.slice(-100)) fresh.add(v);
    expect(sliding.value()).toBe(fresh.value());
    const empty = new ExactSum();
    for (const v of values) empty.add(v);
    for (const v of values) empty.subtract(v);
    expect(empty.value()).toBe(0);
  });

  it('follows IEEE for infinities and NaN, and recovers once they leave', () => {
    const sum = new ExactSum();
    sum.add(2);
    sum.add(Infinity);
    expect(sum.value()).toBe(Infinity);
    sum.add(-Infinity);
    expect(sum.value()).toBeNaN();
    sum.subtract(Infinity);
    sum.subtract(-Infinity);
    sum.add(NaN);
    expect(sum.value()).toBeNaN();
    sum.subtract(NaN);
    expect(sum.value()).toBe(2);
  });
});

describe('slidingAccumulator', () => {
  it('counts rows, non-null values and distinct values in the frame', () => {
    const values: Value[] = ['a', null, 'b', 'a', 'a', null, 'c'];
    expect(slide('COUNT', undefined, values, 3, { star: true })).toEqual([1, 2, 3, 3, 3, 3, 3]);
    expect(slide('COUNT', 'VARCHAR', values, 3)).toEqual([1, 1, 2, 2, 3, 2, 2]);
    expect(slide('COUNT', 'VARCHAR', values, 3, { distinct: true })).toEqual([1, 1, 2, 2, 2, 1, 2]);
  });

  it('sums and averages, truncating AVG of INTEGER, NULL when the frame has no values', () => {
    expect(slide('SUM', 'INTEGER', [1, 2, null, null, 7], 2)).toEqual([1, 3, 2, null, 7]);
    expect(slide('AVG', 'INTEGER', [1, 2, -3, -4], 2)).toEqual([1, 1, 0, -3]);
    expect(slide('AVG', 'DOUBLE', [1, 2, -3, null], 2)).toEqual([1, 1.5, -0.5, -3]);
    expect(slide('SUM', 'DOUBLE', [null, 0.1, 0.2], 3)).toEqual([null, 0.1, 0.30000000000000004]);
  });

  it('tracks MIN and MAX over a sliding frame like a rescan would', () => {
    const rand = mulberry32(11);
    for (const size of [1, 2, 5, 40]) {
      const values: Value[] = Array.from({ length: 2_000 }, () => (rand() < 0.1 ? null : Math.floor(rand() * 50)));
      const naive = (pick: (a: number, b: number) => number) => values.map((_, i) => {
        const frame = values.slice(Math.max(0, i - size + 1), i + 1).filter((v): v is number => v !== null);
        return frame.length === 0 ? null : frame.reduce((a, b) => pick(a, b));
      });
      expect(slide('MIN', 'INTEGER', values, size)).toEqual(naive(Math.min));
      expect(slide('MAX', 'INTEGER', values, size)).toEqual(naive(Math.max));
    }
  });

  it('orders strings by code unit for MIN and MAX', () => {
    expect(slide('MAX', 'VARCHAR', ['b', 'a', 'B', 'c'], 2)).toEqual(['b', 'b', 'a', 'c']);
    expect(slide('MIN', 'VARCHAR', ['b', 'a', 'B', 'c'], 2)).toEqual(['b', 'a', 'B', 'B']);
  });

  it('clears to an empty frame', () => {
    const acc = slidingAccumulator(call('MAX'), 'INTEGER')();
    acc.add(3);
    acc.clear();
    expect(acc.result()).toBeNull();
    acc.add(1);
    acc.removeOldest(1);
    expect(acc.result()).toBeNull();
  });
});
