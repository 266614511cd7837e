import { describe, expect, it } from 'vitest';
import { SqlCompileError } from './errors.js';
import { streamScope } from './expr.js';
import { tumbling } from './tumbling.js';
import type { Row, Value } from './values.js';
import { mulberry32 } from '../../../../test/fixtures/prng.js';
import { STAGGER_WINDOWS_INPUT, TUMBLING, TUMBLING_EVENT_TIME } from '../sql/aws-examples.fixture.js';
import { at, demoScope, drive, NaiveWindows, runAgainst, selectOf, SOURCE, type CollectingEmitter } from './operator-test.fixture.js';

const demo = (rowtime: number, ticker: string, price: number): Row => ({ rowtime, values: [ticker, 'TECHNOLOGY', 0.5, price] });
const errorNames = (out: CollectingEmitter) => out.errors.map((e) => e.error.name);

describe('tumbling', () => {
  it('runs the AWS tumbling-window example: one row per ticker and minute, ROWTIME at the window end', () => {
    const op = tumbling(selectOf(TUMBLING), demoScope);
    expect(op.columns).toEqual(['ROWTIME', 'TICKER_SYMBOL', 'PRICE', 'PRICE']);
    expect(op.windowSizeMs).toBe(60_000);
    expect(op.eventTime).toBe(false);
    const out = drive(op, [
      demo(at(20, 17, 5), 'AMZN', 10),
      demo(at(20, 17, 20), 'AMZN', 12),
      demo(at(20, 17, 40), 'MSFT', 5),
      demo(at(20, 17, 59, 999), 'AMZN', 8),
      demo(at(20, 18, 10), 'AMZN', 20),
      at(20, 17, 59, 999),
    ]);
    expect(out.rows).toEqual([]);
    op.advance(at(20, 18, 0), out);
    expect(out.rows).toEqual([
      { rowtime: at(20, 18, 0), values: [at(20, 18, 0), 'AMZN', 8, 12] },
      { rowtime: at(20, 18, 0), values: [at(20, 18, 0), 'MSFT', 5, 5] },
    ]);
    expect(out.errors).toEqual([]);
    expect(op.openWindows).toBe(1);

    const late = demo(at(20, 17, 30), 'MSFT', 1);
    op.push(late, out);
    expect(out.errors).toEqual([{ error: expect.objectContaining({ name: 'LateRow' }), input: late }]);
    expect(op.lateRows).toBe(1);
    out.rows.length = 0;
    op.advance(at(20, 19, 0), out);
    expect(out.rows).toEqual([{ rowtime: at(20, 19, 0), values: [at(20, 19, 0), 'AMZN', 20, 20] }]);
    expect(op.openWindows).toBe(0);
  });

  it('reproduces the guide\'s tumbling result grouped by event time and ROWTIME (ROWTIME is the window end)', () => {
    // Developer Guide, "Stagger Windows", "Partial Results with Tumbling Windows": input and result tables.
    const scope = streamScope(SOURCE, [{ name: 'TICKER_SYMBOL', type: 'VARCHAR' }, { name: 'EVENT_TIME', type: 'TIMESTAMP' }]);
    const op = tumbling(selectOf(TUMBLING_EVENT_TIME), scope);
    expect(op.eventTime).toBe(false);
    expect(op.columns).toEqual(['TICKER_SYMBOL', 'EXPR$1', 'TICKER_COUNT']);
    const row = (rowtime: number, eventTime: number): Row => ({ rowtime, values: ['AMZN', eventTime] });
    const out = drive(op, [...STAGGER_WINDOWS_INPUT.map(([rowtime, eventTime]) => row(rowtime, eventTime)), at(11, 2, 0)]);
    expect(out.rows).toEqual([
      { rowtime: at(11, 1, 0), values: ['AMZN', at(11, 0, 0), 2] },
      { rowtime: at(11, 2, 0), values: ['AMZN', at(11, 0, 0), 1] },
      { rowtime: at(11, 2, 0), values: ['AMZN', at(11, 1, 0), 1] },
    ]);
  });

  it('keeps a window open for the grace period and reports rows that come later as LateRow', () => {
    const sql = `SELECT STREAM FLOOR(s.ROWTIME TO MINUTE) AS minute_start, COUNT(*) AS n FROM "SOURCE_SQL_STREAM_001" AS s GROUP BY FLOOR(s.ROWTIME TO MINUTE)`;
    const op = tumbling(selectOf(sql), streamScope(SOURCE, [], 'S'), { graceMs: 5_000 });
    const out = drive(op, [demo(at(20, 0, 10), 'A', 1), at(20, 1, 3), demo(at(20, 0, 50), 'A', 1)]);
    expect(out.rows).toEqual([]);
    op.advance(at(20, 1, 5), out);
    expect(out.rows).toEqual([{ rowtime: at(20, 1, 0), values: [at(20, 0, 0), 2] }]);
    op.push(demo(at(20, 0, 59), 'A', 1), out);
    op.advance(at(20, 10, 0), out);
    expect(out.rows).toHaveLength(1);
    expect(errorNames(out)).toEqual(['LateRow']);
  });

  it('applies WHERE and HAVING, and computes every aggregate with SQL NULL rules', () => {
    const sql = `SELECT STREAM sector, COUNT(*), COUNT(price), COUNT(DISTINCT price), SUM(price), AVG(price), MIN(ticker_symbol), MAX(price) - MIN(price) AS spread
      FROM "SOURCE_SQL_STREAM_001" WHERE change >= 0 GROUP BY sector, STEP(ROWTIME BY INTERVAL '10' SECOND) HAVING COUNT(*) > 1`;
    const op = tumbling(selectOf(sql), demoScope);
    const r = (t: number, ticker: string, sector: string, change: number, price: number | null): Row => ({ rowtime: at(0, 0, t), values: [ticker, sector, change, price] });
    const out = drive(op, [
      r(1, 'B', 'TECH', 1, 10), r(2, 'A', 'TECH', 1, 10), r(3, 'C', 'TECH', 1, null), r(4, 'D', 'TECH', -1, 99),
      r(5, 'E', 'ENERGY', 1, 3), r(6, 'F', 'NULLS', 1, null), r(7, 'G', 'NULLS', 1, null), at(0, 0, 10),
    ]);
    expect(out.rows.map((row) => row.values)).toEqual([
      ['TECH', 3, 2, 1, 20, 10, 'A', 0],
      ['NULLS', 2, 0, 0, null, null, 'F', null],
    ]);
  });

  it('reports failing output rows and failing input rows to the emitter and still emits the others', () => {
    const sql = `SELECT STREAM ticker_symbol, COUNT(*) / COUNT(price) AS ratio FROM "SOURCE_SQL_STREAM_001" WHERE 1 / change > 0 GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '1' SECOND)`;
    const op = tumbling(selectOf(sql), demoScope);
    const bad: Row = { rowtime: 2, values: ['C', 'S', 0, 1] };
    const out = drive(op, [{ rowtime: 0, values: ['A', 'S', 1, null] }, { rowtime: 1, values: ['B', 'S', 1, 5] }, bad, 1_000]);
    expect(out.rows).toEqual([{ rowtime: 1_000, values: ['B', 1] }]);
    expect(out.errors.map((e) => [e.error.name, e.input])).toEqual([['DivisionByZero', bad], ['DivisionByZero', undefined]]);
  });

  it('rejects queries it cannot run, with a position', () => {
    const build = (sql: string) => () => tumbling(selectOf(sql), demoScope);
    expect(build(`SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol`)).toThrow(/needs STEP\(ROWTIME BY INTERVAL/);
    expect(build(`SELECT STREAM sector, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '1' MINUTE)`))
      .toThrow(expect.objectContaining({ detail: 'column "SECTOR" must appear in GROUP BY or inside an aggregate', line: 1, column: 15 }));
    expect(build(`SELECT STREAM SUM(DISTINCT price) FROM "SOURCE_SQL_STREAM_001" GROUP BY STEP(ROWTIME BY INTERVAL '1' MINUTE)`)).toThrow(SqlCompileError);
    expect(build(`SELECT STREAM * FROM "SOURCE_SQL_STREAM_001" GROUP BY STEP(ROWTIME BY INTERVAL '1' MINUTE)`)).toThrow(/SELECT \*/);
    // STEP over a DOUBLE is a key, not a window.
    expect(build(`SELECT STREAM COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY FLOOR(price TO MINUTE)`)).toThrow(/needs STEP/);
  });
});

const eventScope = streamScope(SOURCE, [
  { name: 'TICKER_SYMBOL', type: 'VARCHAR' },
  { name: 'EVENT_TIME', type: 'TIMESTAMP' },
  { name: 'PRICE', type: 'DOUBLE' },
]);
const EVENT_SQL = `SELECT STREAM STEP(event_time BY INTERVAL '10' SECOND) AS ws, ticker_symbol, COUNT(*), COUNT(price), COUNT(DISTINCT price), SUM(price), AVG(price), MIN(price), MAX(price)
  FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(event_time BY INTERVAL '10' SECOND)`;

describe('tumbling over event time', () => {
  const ev = (rowtime: number, ticker: string, eventTime: number | null, price: number | null = 1): Row => ({ rowtime, values: [ticker, eventTime, price] });

  it('buckets rows by the event-time column and emits each window when the watermark passes its end', () => {
    const op = tumbling(selectOf(`SELECT STREAM FLOOR(event_time TO MINUTE) AS m, COUNT(*) AS n FROM "SOURCE_SQL_STREAM_001" GROUP BY FLOOR(event_time TO MINUTE)`), eventScope);
    expect(op.eventTime).toBe(true);
    const out = drive(op, [ev(at(9, 0, 5), 'A', at(8, 59, 50)), ev(at(9, 0, 6), 'A', at(9, 0, 1)), ev(at(9, 0, 7), 'A', at(8, 59, 59)), at(9, 0, 30)]);
    // The 08:59 window closed at watermark 09:00:30: its row carries that ROWTIME, not 09:00.
    expect(out.rows).toEqual([{ rowtime: at(9, 0, 30), values: [at(8, 59, 0), 2] }]);
    op.advance(Infinity, out);
    // A drain has no clock value: the window end, kept non-decreasing.
    expect(out.rows[1]).toEqual({ rowtime: at(9, 1, 0), values: [at(9, 0, 0), 1] });
  });

  it('counts a row that comes within the grace period and reports one past it as LateRow', () => {
    const op = tumbling(selectOf(EVENT_SQL), eventScope, { graceMs: 5_000 });
    const withinGrace = ev(13_000, 'A', 9_000, 4);
    const pastGrace = ev(16_000, 'A', 9_999, 8);
    const out = drive(op, [ev(1_000, 'A', 2_000, 2), 12_000, withinGrace, 15_000, pastGrace, ev(16_500, 'A', 10_000, 1)]);
    expect(out.rows).toEqual([{ rowtime: 15_000, values: [0, 'A', 2, 2, 2, 6, 3, 2, 4] }]);
    expect(out.errors).toEqual([{ error: expect.objectContaining({ name: 'LateRow' }), input: pastGrace }]);
    expect(op.lateRows).toBe(1);
    expect(op.openWindows).toBe(1);
  });

  it('reports a NULL event time as InvalidArgument and leaves no state', () => {
    const op = tumbling(selectOf(EVENT_SQL), eventScope);
    const bad = ev(0, 'A', null);
    const out = drive(op, [bad, 100_000]);
    expect(out.errors.map((e) => [e.error.name, e.input])).toEqual([['InvalidArgument', bad]]);
    expect(out.rows).toEqual([]);
    expect(op.openWindows).toBe(0);
  });

  it('matches a naive recomputation over seeded random input, and a snapshot restored mid-stream continues identically', () => {
    let totalLate = 0;
    let totalRows = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const rand = mulberry32(seed);
      const graceMs = Math.floor(rand() * 3) * 2_000;
      const op = tumbling(selectOf(EVENT_SQL), eventScope, { graceMs });
      const naive = new NaiveTumbling(10_000, graceMs, (r) => r.values[1] as number, true);
      const run = runAgainst(op, naive, () => tumbling(selectOf(EVENT_SQL), eventScope, { graceMs }));
      const { out, restoredOut } = run;
      let t = Math.floor(rand() * 2_000) * 500;
      let watermark = -Infinity;
      for (let i = 0; i < 3_000; i++) {
        t += Math.floor(rand() * 4) * 250;
        // Event time skews both ways around ROWTIME: some rows arrive well after their event.
        const eventTime = t - Math.floor(rand() * 40) * 500 + Math.floor(rand() * 4) * 500;
        const ticker = [null, 'A', 'B', 'C'][Math.floor(rand() * 4)] ?? null;
        const price = rand() < 0.2 ? null : Math.floor(rand() * 8) / 2;
        const row: Row = { rowtime: t, values: [ticker, eventTime, price] };
        run.push(row);
        watermark = Math.max(watermark, t);
        if (rand() < 0.05) run.advance(watermark);
        if (i === 1_500) run.restore();
      }
      run.advance(Infinity);
      expect(out.rows).toEqual(run.expected);
      expect(out.errors.map((e) => e.input)).toEqual(naive.lateRows);
      expect(restoredOut.rows).toEqual(out.rows);
      expect(restoredOut.errors.map((e) => e.input)).toEqual(naive.lateRows);
      expect(op.lateRows).toBe(naive.lateRows.length);
      for (let i = 1; i < out.rows.length; i++) expect(out.rows[i]!.rowtime).toBeGreaterThanOrEqual(out.rows[i - 1]!.rowtime);
      totalLate += naive.lateRows.length;
      totalRows += out.rows.length;
    }
    // The generator must reach the interesting cases, or the comparison proves little.
    expect(totalLate).toBeGreaterThan(100);
    expect(totalRows).toBeGreaterThan(5_000);
  });

  it('matches the naive recomputation over ROWTIME windows too, rows from the past included', () => {
    const sql = `SELECT STREAM ROWTIME, STEP(ROWTIME BY INTERVAL '10' SECOND) AS ws, ticker_symbol, COUNT(*), COUNT(price), COUNT(DISTINCT price), SUM(price), AVG(price), MIN(price), MAX(price)
      FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '10' SECOND)`;
    for (let seed = 1; seed <= 10; seed++) {
      const rand = mulberry32(seed);
      const graceMs = Math.floor(rand() * 3) * 2_000;
      const op = tumbling(selectOf(sql), demoScope, { graceMs });
      const naive = new NaiveTumbling(10_000, graceMs, (r) => r.rowtime, false);
      const run = runAgainst(op, naive);
      let t = Math.floor(rand() * 2_000) * 500;
      for (let i = 0; i < 1_000; i++) {
        t += Math.floor(rand() * 6) * 500;
        const rowtime = rand() < 0.15 ? t - Math.floor(rand() * 30) * 500 : t;
        const ticker = [null, 'A', 'B', 'C'][Math.floor(rand() * 4)] ?? null;
        const row: Row = { rowtime, values: [ticker, 'S', 0, rand() < 0.2 ? null : Math.floor(rand() * 8) / 2] };
        run.push(row);
        if (rand() < 0.1) run.advance(t);
      }
      run.advance(Infinity);
      expect(run.out.rows).toEqual(run.expected.map((r) => ({ rowtime: r.rowtime, values: [r.rowtime, ...r.values] })));
      expect(run.out.errors.map((e) => e.input)).toEqual(naive.lateRows);
    }
  });
});

/** Reference: keep every accepted row; at each watermark, group and aggregate the closing windows from scratch. */
class NaiveTumbling extends NaiveWindows {
  private lastRowtime = -Infinity;

  constructor(
    private readonly sizeMs: number,
    graceMs: number,
    private readonly timeOf: (r: Row) => number,
    private readonly eventTime: boolean,
  ) {
    super(graceMs);
  }

  private windowOf(r: Row): number {
    return Math.floor(this.timeOf(r) / this.sizeMs) * this.sizeMs;
  }

  protected isLate(row: Row): boolean {
    return this.windowOf(row) + this.sizeMs <= this.closedThrough;
  }

  /** Rows of the windows that close at this watermark: [ws, ticker, aggregates...], with their ROWTIME. */
  protected close(before: number, threshold: number, watermark: number): Row[] {
    const windows = [...new Set(this.accepted.map((r) => this.windowOf(r)))]
      .filter((start) => start + this.sizeMs > before && start + this.sizeMs <= threshold)
      .sort((a, b) => a - b);
    const out: Row[] = [];
    for (const start of windows) {
      const end = start + this.sizeMs;
      const rowtime = !this.eventTime ? end : Number.isFinite(watermark) ? watermark : Math.max(end, this.lastRowtime);
      this.lastRowtime = rowtime;
      const inWindow = this.accepted.filter((r) => this.windowOf(r) === start);
      for (const ticker of [...new Set(inWindow.map((r) => r.values[0] ?? null))]) {
        const rows = inWindow.filter((r) => (r.values[0] ?? null) === ticker);
        const prices = rows.map((r) => r.values.at(-1) ?? null).filter((p): p is number => p !== null);
        const sum = prices.reduce((a, b) => a + b, 0);
        const values: Value[] = [
          start, ticker, rows.length, prices.length, new Set(prices).size,
          prices.length ? sum : null, prices.length ? sum / prices.length : null,
          prices.length ? Math.min(...prices) : null, prices.length ? Math.max(...prices) : null,
        ];
        out.push({ rowtime, values });
      }
    }
    return out;
  }
}
