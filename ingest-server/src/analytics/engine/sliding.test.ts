import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../test/fixtures/prng.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import { streamScope } from './expr.js';
import { collectingEmitter } from './operator.js';
import { sliding } from './sliding.js';
import type { Row, Value } from './values.js';
import { SLIDING_1, SLIDING_2, SLIDING_3, WINDOW_EXAMPLES_FIXED } from '../sql/aws-examples.fixture.js';
import { demoScope, drive, selectOf } from './operator-test.fixture.js';

const at = (mm: number, ss: number, ms = 0) => Date.UTC(2018, 7, 1, 20, mm, ss, ms);
const demo = (rowtime: number, ticker: string, price: number, change = 0.5): Row => ({ rowtime, values: [ticker, 'TECHNOLOGY', change, price] });

function run(sql: string, scope: typeof demoScope, rows: Row[]) {
  const op = sliding(selectOf(sql), scope);
  return { op, out: drive(op, rows) };
}

describe('sliding: the AWS examples', () => {
  it('runs Example 1: MIN/MAX/AVG per ticker over the last minute, bounds included, one row per input row', () => {
    const { op, out } = run(SLIDING_1, demoScope, [
      demo(at(17, 0), 'AMZN', 10),
      demo(at(17, 20), 'MSFT', 50),
      demo(at(17, 40), 'AMZN', 12),
      demo(at(18, 0), 'AMZN', 8),
      demo(at(18, 1), 'AMZN', 20),
      demo(at(18, 30), 'MSFT', 40),
    ]);
    expect(op.columns).toEqual(['TICKER_SYMBOL', 'MIN_PRICE', 'MAX_PRICE', 'AVG_PRICE']);
    expect(op.types).toEqual(['VARCHAR', 'DOUBLE', 'DOUBLE', 'DOUBLE']);
    expect(out.rows).toEqual([
      { rowtime: at(17, 0), values: ['AMZN', 10, 10, 10] },
      { rowtime: at(17, 20), values: ['MSFT', 50, 50, 50] },
      { rowtime: at(17, 40), values: ['AMZN', 10, 12, 11] },
      { rowtime: at(18, 0), values: ['AMZN', 8, 12, 10] },
      { rowtime: at(18, 1), values: ['AMZN', 8, 20, 40 / 3] },
      { rowtime: at(18, 30), values: ['MSFT', 40, 40, 40] },
    ]);
    expect(out.errors).toEqual([]);
  });

  it('runs Example 2 over 10 seconds; a row dividing by zero goes to the error stream and leaves the frame alone', () => {
    const bad = demo(at(0, 6), 'AMZN', 2, 2);
    const { out } = run(SLIDING_2, demoScope, [
      demo(at(0, 0), 'AMZN', 5, 1),
      demo(at(0, 5), 'AMZN', 9, 3),
      bad,
      demo(at(0, 10), 'AMZN', 3, 1),
      demo(at(0, 11), 'AMZN', 3, 1),
    ]);
    expect(out.rows.map((r) => r.values)).toEqual([['AMZN', 0.25], ['AMZN', 0.375], ['AMZN', 1.25 / 3], ['AMZN', 0.5]]);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]?.error).toBeInstanceOf(SqlRuntimeError);
    expect(out.errors[0]?.error.name).toBe('DivisionByZero');
    expect(out.errors[0]?.input).toBe(bad);
  });

  it('runs Example 3: the current row and up to n preceding ones of its partition', () => {
    const { op, out } = run(SLIDING_3, demoScope, [1, 2, 3, 4].flatMap((p, i) => [demo(at(0, i), 'AMZN', p), demo(at(0, i), 'MSFT', 10 * p)]));
    expect(op.columns).toEqual(['TICKER_SYMBOL', 'PRICE', 'EXPR$2', 'EXPR$3']);
    expect(out.rows.filter((r) => r.values[0] === 'AMZN').map((r) => r.values.slice(1))).toEqual([[1, 1, 1], [2, 1.5, 1.5], [3, 2, 2], [4, 3, 2.5]]);
    expect(out.rows.filter((r) => r.values[0] === 'MSFT').map((r) => r.values.slice(1))).toEqual([[10, 10, 10], [20, 15, 15], [30, 20, 20], [40, 30, 25]]);
  });

  it('mixes a RANGE and a ROWS window as in the SQL Reference "Window examples" (ties go by arrival)', () => {
    // As printed the SELECT misses a comma after `count(*) OVER lastHour`; the unused windows stay.
    const sql = WINDOW_EXAMPLES_FIXED;
    const trades = streamScope('TRADES', [{ name: 'TICKER', type: 'VARCHAR' }, { name: 'AMOUNT', type: 'INTEGER' }]);
    const t = (hh: number, mm: number) => Date.UTC(2018, 0, 1, hh, mm);
    const trade = (time: number, ticker: string, amount: number): Row => ({ rowtime: time, values: [ticker, amount] });
    const { op, out } = run(sql, trades, [
      trade(t(10, 10), 'IBM', 10), trade(t(10, 30), 'YHOO', 20), trade(t(11, 0), 'IBM', 30),
      trade(t(11, 15), 'YHOO', 40), trade(t(11, 15), 'IBM', 50), trade(t(11, 45), 'IBM', 60), trade(t(12, 20), 'YHOO', 70),
    ]);
    expect(op.columns).toEqual(['TICKER', 'EXPR$1', 'EXPR$2', 'EXPR$3']);
    expect(op.types).toEqual(['VARCHAR', 'INTEGER', 'INTEGER', 'INTEGER']);
    expect(out.rows.map((r) => r.values)).toEqual([
      ['IBM', 10, 1, 10], ['YHOO', 30, 2, 30], ['IBM', 60, 3, 60],
      ['YHOO', 90, 3, 100], ['IBM', 140, 4, 140], ['IBM', 180, 4, 180], ['YHOO', 130, 2, 220],
    ]);
  });
});

describe('sliding: semantics', () => {
  const scope = streamScope('S', [{ name: 'K', type: 'VARCHAR' }, { name: 'X', type: 'INTEGER' }]);
  const r = (rowtime: number, k: string | null, x: number | null): Row => ({ rowtime, values: [k, x] });

  it('handles zero-width frames, inline windows, NULLs and every aggregate', () => {
    const sql = `SELECT STREAM x, COUNT(*) OVER (RANGE CURRENT ROW) AS same_time, COUNT(*) OVER (ROWS CURRENT ROW) AS one,
      COUNT(x) OVER w AS n, COUNT(DISTINCT x) OVER w AS d, SUM(x) OVER w AS s, AVG(x) OVER w AS a, MIN(x) OVER w AS lo, MAX(x) OVER w AS hi
      FROM S WINDOW w AS (ROWS 2 PRECEDING)`;
    const { out } = run(sql, scope, [r(1, 'a', 3), r(1, 'a', null), r(1, 'a', 3), r(2, 'a', 4), r(3, 'a', null), r(3, 'a', null), r(4, 'a', 1)]);
    expect(out.rows.map((row) => row.values)).toEqual([
      [3, 1, 1, 1, 1, 3, 3, 3, 3],
      [null, 2, 1, 1, 1, 3, 3, 3, 3],
      [3, 3, 1, 2, 1, 6, 3, 3, 3],
      [4, 1, 1, 2, 2, 7, 3, 3, 4],
      [null, 1, 1, 2, 2, 7, 3, 3, 4],
      [null, 2, 1, 1, 1, 4, 4, 4, 4],
      [1, 1, 1, 1, 1, 1, 1, 1, 1],
    ]);
  });

  it('filters with WHERE before rows enter any frame, and treats NULL keys as one partition', () => {
    const sql = `SELECT STREAM k, SUM(x) OVER (PARTITION BY k ROWS 5 PRECEDING) AS s FROM S WHERE x > 0`;
    const { out } = run(sql, scope, [r(1, null, 1), r(2, 'a', -5), r(3, null, 2), r(4, 'a', 7), r(5, 'a', null)]);
    expect(out.rows.map((row) => row.values)).toEqual([[null, 1], [null, 3], ['a', 7]]);
  });

  it('rolls every frame back when an item reading an aggregate fails', () => {
    const sql = `SELECT STREAM k, SUM(x) OVER w AS s, 100 / (SUM(x) OVER w - 3) AS q, COUNT(*) OVER (PARTITION BY k RANGE INTERVAL '1' SECOND PRECEDING) AS n
      FROM S WINDOW w AS (ROWS 2 PRECEDING)`;
    const { op, out } = run(sql, scope, [r(1, 'a', 1), r(2, 'b', 2), r(3, 'a', 5), r(4, 'a', 1), r(5, 'c', -3)]);
    expect(out.rows.map((row) => row.values)).toEqual([['a', 1, -50, 1], ['a', 6, 33, 2], ['a', 7, 25, 3]]);
    expect(out.errors.map((e) => [e.error.name, e.input?.values[0]])).toEqual([['DivisionByZero', 'b'], ['DivisionByZero', 'c']]);
    // The failed rows' new partitions "b" and "c" were removed again.
    expect(op.openPartitions).toBe(2);
    expect(op.bufferedRows).toBe(6);
  });

  it('routes WHERE, argument and plain item errors to out.error without touching state', () => {
    const sql = `SELECT STREAM 10 / x AS inv, COUNT(*) OVER (ROWS 5 PRECEDING) AS n, MAX(CAST(k AS INTEGER)) OVER (ROWS 5 PRECEDING) AS m FROM S WHERE 6 / x > 0`;
    const { op, out } = run(sql, scope, [r(1, '1', 0), r(2, 'x', 2), r(3, '5', 2), r(4, '7', 5)]);
    expect(out.errors.map((e) => e.error.name)).toEqual(['DivisionByZero', 'TypeCoercion']);
    expect(out.rows.map((row) => row.values)).toEqual([[5, 1, 5], [2, 2, 7]]);
    // Both aggregates share one frame: the two OVER clauses are the same window.
    expect(op.openPartitions).toBe(1);
    expect(op.bufferedRows).toBe(2);
  });

  it('frees RANGE partitions once the watermark has pushed all their rows out; ROWS frames keep theirs', () => {
    const sql = `SELECT STREAM COUNT(*) OVER (PARTITION BY k RANGE INTERVAL '1' MINUTE PRECEDING) AS a, COUNT(*) OVER (PARTITION BY k ROWS 1 PRECEDING) AS b FROM S`;
    const { op, out } = run(sql, scope, [r(0, 'a', 1), r(50_000, 'b', 1)]);
    expect(op.openPartitions).toBe(4);
    op.advance(60_000, out);
    expect(op.openPartitions).toBe(4);
    op.advance(60_001, out);
    expect(op.openPartitions).toBe(3);
    op.advance(200_000, out);
    expect(op.openPartitions).toBe(2);
    op.push(r(200_000, 'a', 1), out);
    expect(out.rows.map((row) => row.values)).toEqual([[1, 1], [1, 1], [1, 2]]);
  });

  it('rejects what is not a sliding-window query, with the position', () => {
    const compileError = (sql: string) => {
      try {
        sliding(selectOf(sql), scope);
      } catch (err) {
        if (err instanceof SqlCompileError) return { detail: err.detail, at: [err.line, err.column] };
        throw err;
      }
      throw new Error('compiled');
    };
    expect(compileError('SELECT STREAM AVG(x) OVER w2 FROM S WINDOW w AS (ROWS 2 PRECEDING)')).toEqual({ detail: 'unknown window "W2"', at: [1, 15] });
    expect(compileError('SELECT STREAM ABS(x) OVER (ROWS 2 PRECEDING) FROM S').detail).toMatch(/ABS is not an aggregate/);
    expect(compileError('SELECT STREAM k,\n SUM(x) OVER (ROWS 2 PRECEDING), COUNT(*) FROM S')).toMatchObject({ detail: expect.stringMatching(/COUNT without OVER.*GROUP BY/), at: [2, 34] });
    expect(compileError('SELECT STREAM k, SUM(x) OVER (ROWS 2 PRECEDING) FROM S GROUP BY k').detail).toMatch(/GROUP BY cannot be combined/);
    expect(compileError('SELECT STREAM SUM(MAX(x) OVER w) OVER w FROM S WINDOW w AS (ROWS 1 PRECEDING)').detail).toMatch(/cannot be nested/);
    expect(compileError('SELECT STREAM SUM(k) OVER (ROWS 1 PRECEDING) FROM S').detail).toMatch(/SUM needs a number/);
  });
});

// ---- generated: random streams against a naive recomputation of every frame ----

const genScope = streamScope('S', [
  { name: 'K', type: 'VARCHAR' }, { name: 'G', type: 'INTEGER' }, { name: 'D', type: 'DOUBLE' }, { name: 'I', type: 'INTEGER' }, { name: 'T', type: 'VARCHAR' },
]);

const GEN_COLUMNS = ['K', 'I', 'C', 'CD', 'CDI', 'SD', 'AD', 'MIND', 'MAXT', 'SI', 'AI', 'MINI', 'MAXD', 'C2'];
const columnName = (c: number) => GEN_COLUMNS[c] ?? String(c);

interface Gen { sql: string; rows: Row[]; rangeMs: number; n: number; partitionW2: boolean }

function generate(seed: number, count: number, special = false): Gen {
  const rand = mulberry32(seed);
  const keys = 1 + Math.floor(rand() * 6);
  const rangeS = 1 + Math.floor(rand() * 5);
  const n = Math.floor(rand() * 8);
  const partitionW2 = rand() < 0.7;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const specials = [NaN, Infinity, -Infinity, -0];
  let time = 1_500_000_000_000;
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    time += pick([0, 0, 250, 500, 1000, 3000]);
    const d = rand() < 0.1 ? null : special && rand() < 0.05 ? pick(specials) : (rand() - 0.3) * 10 ** Math.floor(rand() * 4);
    rows.push({ rowtime: time, values: [`k${Math.floor(rand() * keys)}`, Math.floor(rand() * 2), d, rand() < 0.1 ? null : Math.floor(rand() * 11) - 5, pick(['a', 'b', 'B', 'z', null])] });
  }
  const sql = `SELECT STREAM k, i,
      COUNT(*) OVER w1 AS c, COUNT(d) OVER w1 AS cd, COUNT(DISTINCT i) OVER w1 AS cdi, SUM(d) OVER w1 AS sd,
      AVG(d) OVER w1 AS ad, MIN(d) OVER w1 AS mind, MAX(t) OVER w1 AS maxt,
      SUM(i) OVER w2 AS si, AVG(i) OVER w2 AS ai, MIN(i) OVER w2 AS mini, MAX(d) OVER w2 AS maxd, COUNT(*) OVER w2 AS c2
    FROM S WHERE i IS NULL OR i <> 3
    WINDOW w1 AS (PARTITION BY k RANGE INTERVAL '${rangeS}' SECOND PRECEDING),
           w2 AS (${partitionW2 ? 'PARTITION BY k, g ' : ''}ROWS ${n} PRECEDING)`;
  return { sql, rows, rangeMs: rangeS * 1000, n, partitionW2 };
}

/** What the operator must output for `rows`, computed by filtering the whole history per row. */
function reference(g: Gen): Value[][] {
  const accepted: Row[] = [];
  const nums = (rows: Row[], col: number) => rows.map((r) => r.values[col] ?? null).filter((v): v is number => v !== null);
  const extreme = (vs: (number | string)[], sign: number) => (vs.length === 0 ? null : vs.reduce((a, b) => (sign * (a < b ? -1 : a > b ? 1 : 0) >= 0 ? a : b)));
  const sum = (vs: number[]) => (vs.length === 0 ? null : vs.reduce((a, b) => a + b, 0));
  return g.rows.flatMap((row) => {
    const [k, grp, , i] = row.values;
    if (i === 3) return [];
    accepted.push(row);
    // Scans the history backwards from the current row, only so the test stays fast.
    const w1: Row[] = [];
    for (let j = accepted.length - 1; j >= 0 && (accepted[j]?.rowtime ?? 0) >= row.rowtime - g.rangeMs; j--) {
      if (accepted[j]?.values[0] === k) w1.unshift(accepted[j] as Row);
    }
    const w2: Row[] = [];
    for (let j = accepted.length - 1; j >= 0 && w2.length <= g.n; j--) {
      const r = accepted[j] as Row;
      if (!g.partitionW2 || (r.values[0] === k && r.values[1] === grp)) w2.unshift(r);
    }
    const d1 = nums(w1, 2);
    const i2 = nums(w2, 3);
    const sd = sum(d1);
    const si = sum(i2);
    return [[k ?? null, i ?? null, w1.length, d1.length, new Set(nums(w1, 3)).size, sd, sd === null ? null : sd / d1.length,
      extreme(d1, -1), extreme(w1.map((r) => r.values[4]).filter((v): v is string => typeof v === 'string'), 1),
      si, si === null ? null : Math.trunc(si / i2.length) + 0, extreme(i2, -1), extreme(nums(w2, 2), 1), w2.length]];
  });
}

function runAll(g: Gen, cut?: number): { rows: Row[]; errors: number } {
  const out = collectingEmitter();
  let op = sliding(selectOf(g.sql), genScope);
  g.rows.forEach((row, idx) => {
    if (idx === cut) {
      const state = JSON.parse(JSON.stringify(op.snapshot())) as unknown;
      op = sliding(selectOf(g.sql), genScope);
      op.restore(state);
    }
    op.push(row, out);
    if (idx % 50 === 0) op.advance(row.rowtime, out);
  });
  return { rows: out.rows, errors: out.errors.length };
}

describe('sliding: generated streams', () => {
  it.each([1, 2, 3, 4, 5, 6])('matches a naive recomputation of every frame (seed %i)', (seed) => {
    const g = generate(seed, 3_000);
    const { rows, errors } = runAll(g);
    const expected = reference(g);
    expect(errors).toBe(0);
    expect(rows).toHaveLength(expected.length);
    // Doubles within 1e-9 relative (the reference adds naively, the operator exactly); the rest equal.
    // Mismatches are collected rather than asserted one by one: 40,000 expect() calls are slow.
    const mismatches: string[] = [];
    rows.forEach((row, r) => {
      const want = expected[r] ?? [];
      row.values.forEach((v, c) => {
        const w = want[c] ?? null;
        const close = typeof v === 'number' && typeof w === 'number' ? Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w)) : Object.is(v, w);
        if (!close) mismatches.push(`row ${r} column ${columnName(c)}: ${String(v)}, expected ${String(w)}`);
      });
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it.each([11, 12, 13])('continues exactly after snapshot, JSON and restore mid-stream (seed %i)', (seed) => {
    const g = generate(seed, 2_000, true);
    const whole = runAll(g);
    expect(runAll(g, 1_000)).toEqual(whole);
    expect(runAll(g, 1)).toEqual(whole);
    expect(whole.rows.some((row) => row.values.some((v) => typeof v === 'number' && !Number.isFinite(v)))).toBe(true);
  });

  it('rejects a snapshot from another query', () => {
    const op = sliding(selectOf(generate(1, 1).sql), genScope);
    expect(() => op.restore({ version: 1, windows: [] })).toThrow(SqlRuntimeError);
  });
});
