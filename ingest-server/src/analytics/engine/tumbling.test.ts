import { describe, expect, it } from 'vitest';
import type { Select, Statement } from '../sql/index.js';
import { parseSql } from '../sql/index.js';
import { SqlCompileError } from './errors.js';
import { streamScope } from './expr.js';
import { tumbling } from './tumbling.js';
import type { Row, Value } from './values.js';
import { mulberry32 } from '../../../../test/fixtures/prng.js';
import { TUMBLING } from '../sql/aws-examples.fixture.js';

const SOURCE = 'SOURCE_SQL_STREAM_001';
// Developer Guide, "Getting Started": the demo stream's schema.
const demoScope = streamScope(SOURCE, [
  { name: 'TICKER_SYMBOL', type: 'VARCHAR' },
  { name: 'SECTOR', type: 'VARCHAR' },
  { name: 'CHANGE', type: 'DOUBLE' },
  { name: 'PRICE', type: 'DOUBLE' },
]);

function selectOf(statements: Statement[]): Select {
  const last = statements[statements.length - 1];
  if (last?.kind === 'CreatePump' || last?.kind === 'Select') return last.select;
  throw new Error('no SELECT in the SQL');
}

const at = (hh: number, mm: number, ss: number, ms = 0) => Date.UTC(2018, 7, 1, hh, mm, ss, ms);
const demo = (rowtime: number, ticker: string, price: number): Row => ({ rowtime, values: [ticker, 'TECHNOLOGY', 0.5, price] });



describe('tumbling', () => {
  it('runs the AWS tumbling-window example: one row per ticker and minute, ROWTIME at the window end', () => {
    const op = tumbling(selectOf(parseSql(TUMBLING)), demoScope);
    expect(op.columns).toEqual(['ROWTIME', 'TICKER_SYMBOL', 'PRICE', 'PRICE']);
    expect(op.windowSizeMs).toBe(60_000);
    for (const row of [
      demo(at(20, 17, 5), 'AMZN', 10),
      demo(at(20, 17, 20), 'AMZN', 12),
      demo(at(20, 17, 40), 'MSFT', 5),
      demo(at(20, 17, 59, 999), 'AMZN', 8),
      demo(at(20, 18, 10), 'AMZN', 20),
    ]) expect(op.push(row)).toBe('accepted');

    expect(op.advance(at(20, 17, 59, 999)).rows).toEqual([]);
    const first = op.advance(at(20, 18, 0));
    expect(first.rows).toEqual([
      { rowtime: at(20, 18, 0), values: [at(20, 18, 0), 'AMZN', 8, 12] },
      { rowtime: at(20, 18, 0), values: [at(20, 18, 0), 'MSFT', 5, 5] },
    ]);
    expect(first.errors).toEqual([]);
    expect(op.openWindows).toBe(1);

    expect(op.push(demo(at(20, 17, 30), 'MSFT', 1))).toBe('late');
    expect(op.lateRows).toBe(1);
    expect(op.advance(at(20, 19, 0)).rows).toEqual([{ rowtime: at(20, 19, 0), values: [at(20, 19, 0), 'AMZN', 20, 20] }]);
    expect(op.openWindows).toBe(0);
  });

  it('groups by event time alongside ROWTIME, as the stagger-window page recommends', () => {
    const sql = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ( TICKER_SYMBOL VARCHAR(4), EVENT_TIME timestamp, TICKER_COUNT DOUBLE); CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM TICKER_SYMBOL, FLOOR(EVENT_TIME TO MINUTE), COUNT(TICKER_SYMBOL) AS TICKER_COUNT FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(EVENT_TIME TO MINUTE), STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE);`;
    const scope = streamScope(SOURCE, [{ name: 'TICKER_SYMBOL', type: 'VARCHAR' }, { name: 'EVENT_TIME', type: 'TIMESTAMP' }]);
    const op = tumbling(selectOf(parseSql(sql)), scope);
    const rows: [number, string, number][] = [
      [at(20, 1, 2), 'AAPL', at(20, 0, 58)],
      [at(20, 1, 3), 'AAPL', at(20, 1, 1)],
      [at(20, 1, 4), 'AAPL', at(20, 0, 59)],
      [at(20, 1, 5), 'IBM', at(20, 1, 4)],
    ];
    for (const [rowtime, ticker, eventTime] of rows) op.push({ rowtime, values: [ticker, eventTime] });
    expect(op.columns).toEqual(['TICKER_SYMBOL', 'EXPR$1', 'TICKER_COUNT']);
    expect(op.advance(at(20, 2, 0)).rows.map((r) => r.values)).toEqual([
      ['AAPL', at(20, 0, 0), 2],
      ['AAPL', at(20, 1, 0), 1],
      ['IBM', at(20, 1, 0), 1],
    ]);
  });

  it('keeps a window open for the grace period and drops rows that come later', () => {
    const sql = `SELECT STREAM FLOOR(s.ROWTIME TO MINUTE) AS minute_start, COUNT(*) AS n FROM "SOURCE_SQL_STREAM_001" AS s GROUP BY FLOOR(s.ROWTIME TO MINUTE)`;
    const op = tumbling(selectOf(parseSql(sql)), streamScope(SOURCE, [], 'S'), { graceMs: 5_000 });
    op.push(demo(at(20, 0, 10), 'A', 1));
    expect(op.advance(at(20, 1, 3)).rows).toEqual([]);
    expect(op.push(demo(at(20, 0, 50), 'A', 1))).toBe('accepted');
    expect(op.advance(at(20, 1, 5)).rows).toEqual([{ rowtime: at(20, 1, 0), values: [at(20, 0, 0), 2] }]);
    expect(op.push(demo(at(20, 0, 59), 'A', 1))).toBe('late');
    expect(op.advance(at(20, 10, 0)).rows).toEqual([]);
  });

  it('applies WHERE and HAVING, and computes every aggregate with SQL NULL rules', () => {
    const sql = `SELECT STREAM sector, COUNT(*), COUNT(price), COUNT(DISTINCT price), SUM(price), AVG(price), MIN(ticker_symbol), MAX(price) - MIN(price) AS spread
      FROM "SOURCE_SQL_STREAM_001" WHERE change >= 0 GROUP BY sector, STEP(ROWTIME BY INTERVAL '10' SECOND) HAVING COUNT(*) > 1`;
    const op = tumbling(selectOf(parseSql(sql)), demoScope);
    const r = (t: number, ticker: string, sector: string, change: number, price: number | null): Row => ({ rowtime: at(0, 0, t), values: [ticker, sector, change, price] });
    expect(op.push(r(1, 'B', 'TECH', 1, 10))).toBe('accepted');
    expect(op.push(r(2, 'A', 'TECH', 1, 10))).toBe('accepted');
    expect(op.push(r(3, 'C', 'TECH', 1, null))).toBe('accepted');
    expect(op.push(r(4, 'D', 'TECH', -1, 99))).toBe('filtered');
    expect(op.push(r(5, 'E', 'ENERGY', 1, 3))).toBe('accepted');
    expect(op.push(r(6, 'F', 'NULLS', 1, null))).toBe('accepted');
    expect(op.push(r(7, 'G', 'NULLS', 1, null))).toBe('accepted');
    expect(op.advance(at(0, 0, 10)).rows.map((row) => row.values)).toEqual([
      ['TECH', 3, 2, 1, 20, 10, 'A', 0],
      ['NULLS', 2, 0, 0, null, null, 'F', null],
    ]);
  });

  it('returns failing output rows as errors and still emits the others', () => {
    const sql = `SELECT STREAM ticker_symbol, COUNT(*) / COUNT(price) AS ratio FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '1' SECOND)`;
    const op = tumbling(selectOf(parseSql(sql)), demoScope);
    op.push({ rowtime: 0, values: ['A', 'S', 0, null] });
    op.push({ rowtime: 1, values: ['B', 'S', 0, 5] });
    const out = op.advance(1_000);
    expect(out.rows).toEqual([{ rowtime: 1_000, values: ['B', 1] }]);
    expect(out.errors.map((e) => [e.error.name, e.windowEndMs])).toEqual([['DivisionByZero', 1_000]]);
  });

  it('rejects queries it cannot run, with a position', () => {
    const build = (sql: string) => () => tumbling(selectOf(parseSql(sql)), demoScope);
    expect(build(`SELECT STREAM ticker_symbol, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol`)).toThrow(/needs STEP\(ROWTIME BY INTERVAL/);
    expect(build(`SELECT STREAM sector, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '1' MINUTE)`))
      .toThrow(expect.objectContaining({ detail: 'column "SECTOR" must appear in GROUP BY or inside an aggregate', line: 1, column: 15 }));
    expect(build(`SELECT STREAM SUM(DISTINCT price) FROM "SOURCE_SQL_STREAM_001" GROUP BY STEP(ROWTIME BY INTERVAL '1' MINUTE)`)).toThrow(SqlCompileError);
    expect(build(`SELECT STREAM * FROM "SOURCE_SQL_STREAM_001" GROUP BY STEP(ROWTIME BY INTERVAL '1' MINUTE)`)).toThrow(/SELECT \*/);
  });

  it('matches a naive recomputation over seeded random input', () => {
    const sql = `SELECT STREAM ROWTIME, STEP(ROWTIME BY INTERVAL '10' SECOND) AS ws, ticker_symbol, COUNT(*), COUNT(price), COUNT(DISTINCT price), SUM(price), AVG(price), MIN(price), MAX(price)
      FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, STEP(ROWTIME BY INTERVAL '10' SECOND)`;
    let totalLate = 0;
    let totalRows = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const rand = mulberry32(seed);
      const graceMs = Math.floor(rand() * 3) * 2_000;
      const op = tumbling(selectOf(parseSql(sql)), demoScope, { graceMs });
      const naive = new NaiveTumbling(10_000, graceMs);
      const actual: Row[] = [];
      // Times on a 500 ms grid, so rows and watermarks land exactly on window edges.
      let t = Math.floor(rand() * 2_000) * 500;
      let watermark = -Infinity;
      for (let i = 0; i < 300; i++) {
        t += Math.floor(rand() * 6) * 500;
        // Now and then a row from the past, to exercise grace and late rows.
        const rowtime = rand() < 0.15 ? t - Math.floor(rand() * 30) * 500 : t;
        const ticker = [null, 'A', 'B', 'C'][Math.floor(rand() * 4)] ?? null;
        const price = rand() < 0.2 ? null : Math.floor(rand() * 8) / 2;
        const row: Row = { rowtime, values: [ticker, 'S', 0, price] };
        expect(op.push(row)).toBe(naive.push(row));
        watermark = Math.max(watermark, t);
        if (rand() < 0.1) {
          const emitted = op.advance(watermark).rows;
          expect(emitted).toEqual(naive.advance(watermark));
          actual.push(...emitted);
        }
      }
      const rest = op.advance(Infinity).rows;
      expect(rest).toEqual(naive.advance(Infinity));
      actual.push(...rest);
      expect(op.lateRows).toBe(naive.late);
      totalLate += naive.late;
      totalRows += actual.length;
    }
    // The generator must reach the interesting cases, or the comparison proves little.
    expect(totalLate).toBeGreaterThan(10);
    expect(totalRows).toBeGreaterThan(1_000);
  });
});


/** Reference: keep every accepted row; at each watermark, group and aggregate the closing windows from scratch. */
class NaiveTumbling {
  private readonly accepted: Row[] = [];
  private closedThrough = -Infinity;
  late = 0;

  constructor(private readonly sizeMs: number, private readonly graceMs: number) {}

  push(row: Row): 'accepted' | 'late' {
    if (Math.floor(row.rowtime / this.sizeMs) * this.sizeMs + this.sizeMs <= this.closedThrough) {
      this.late++;
      return 'late';
    }
    this.accepted.push(row);
    return 'accepted';
  }

  /** Recomputes, from all accepted rows, the windows that close at this watermark. */
  advance(watermark: number): Row[] {
    const threshold = watermark - this.graceMs;
    if (threshold <= this.closedThrough) return [];
    const before = this.closedThrough;
    this.closedThrough = threshold;
    const windowOf = (r: Row) => Math.floor(r.rowtime / this.sizeMs) * this.sizeMs;
    const windows = [...new Set(this.accepted.map(windowOf))]
      .filter((start) => start + this.sizeMs > before && start + this.sizeMs <= threshold)
      .sort((a, b) => a - b);
    const out: Row[] = [];
    for (const start of windows) {
      const inWindow = this.accepted.filter((r) => windowOf(r) === start);
      const tickers = [...new Set(inWindow.map((r) => r.values[0] ?? null))];
      for (const ticker of tickers) {
        const rows = inWindow.filter((r) => (r.values[0] ?? null) === ticker);
        const prices = rows.map((r) => r.values[3] ?? null).filter((p): p is number => p !== null);
        const sum = prices.reduce((a, b) => a + b, 0);
        const values: Value[] = [
          start + this.sizeMs, start, ticker, rows.length, prices.length, new Set(prices).size,
          prices.length ? sum : null, prices.length ? sum / prices.length : null,
          prices.length ? Math.min(...prices) : null, prices.length ? Math.max(...prices) : null,
        ];
        out.push({ rowtime: start + this.sizeMs, values });
      }
    }
    return out;
  }
}
