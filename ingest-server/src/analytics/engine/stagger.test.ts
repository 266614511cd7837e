import { describe, expect, it } from 'vitest';
import { SqlCompileError } from './errors.js';
import { streamScope } from './expr.js';
import { collectingEmitter } from './operator.js';
import { stagger } from './stagger.js';
import type { Row, Value } from './values.js';
import { mulberry32 } from '../../../../test/fixtures/prng.js';
import { STAGGER, STAGGER_CONCEPTS, STAGGER_WINDOWS_INPUT, staggerExampleArrivals } from '../sql/aws-examples.fixture.js';
import { at, drive, NaiveWindows, runAgainst, selectOf, SOURCE } from './operator-test.fixture.js';

describe('stagger', () => {
  it('reproduces the result table of the guide\'s stagger-window page', () => {
    // Developer Guide, "Stagger Windows", "Complete Results with Stagger Windows": same four input
    // rows as the tumbling table; result rows (11:01:20, 11:00:00, AMZN, 3) and (11:02:15, 11:01:00, AMZN, 1).
    const scope = streamScope(SOURCE, [{ name: 'TICKER_SYMBOL', type: 'VARCHAR' }, { name: 'EVENT_TIME', type: 'TIMESTAMP' }]);
    const op = stagger(selectOf(STAGGER_CONCEPTS), scope);
    expect(op.columns).toEqual(['TICKER_SYMBOL', 'EXPR$1', 'TICKER_COUNT']);
    const row = (rowtime: number, eventTime: number): Row => ({ rowtime, values: ['AMZN', eventTime] });
    const out = drive(op, [...STAGGER_WINDOWS_INPUT.map(([rowtime, eventTime]) => row(rowtime, eventTime)), at(11, 1, 19, 999)]);
    expect(out.rows).toEqual([]);
    op.advance(at(11, 1, 20), out);
    expect(out.rows).toEqual([{ rowtime: at(11, 1, 20), values: ['AMZN', at(11, 0, 0), 3] }]);
    op.advance(at(11, 3, 0), out);
    expect(out.rows[1]).toEqual({ rowtime: at(11, 2, 15), values: ['AMZN', at(11, 1, 0), 1] });
    expect(op.openWindows).toBe(0);
  });

  it('runs the guide\'s stagger example: six rows of one key within a minute make one row', () => {
    // Developer Guide, "Example: Stagger Window": the input records and their ROWTIMEs as listed.
    // The page shows the output only as a screenshot; these rows follow from its semantics.
    const scope = streamScope(SOURCE, [{ name: 'EVENT_TIME', type: 'TIMESTAMP' }, { name: 'TICKER', type: 'VARCHAR' }]);
    const op = stagger(selectOf(STAGGER), scope);
    expect(op.columns).toEqual(['EVENT_TIME', 'TICKER', 'TICKER_COUNT']);
    const amzn = at(20, 17, 20, 798);
    const intc = at(20, 18, 21, 43);
    const arrivals = staggerExampleArrivals(amzn, intc);
    const out = collectingEmitter();
    for (const [rowtime, eventTime, ticker] of arrivals) {
      op.advance(rowtime, out);
      op.push({ rowtime, values: [eventTime, ticker] }, out);
    }
    op.advance(at(20, 20, 0), out);
    expect(out.rows).toEqual([
      { rowtime: at(20, 18, 30), values: [amzn, 'AMZN', 6] },
      { rowtime: at(20, 19, 31), values: [intc, 'INTC', 6] },
    ]);
  });

  it('opens a new window for a key whose window has ended, and emits windows in order of their end', () => {
    const sql = `SELECT STREAM ROWTIME, k, COUNT(*) AS n, SUM(v) AS total FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '10' SECOND) HAVING COUNT(*) < 3`;
    const op = stagger(selectOf(sql), streamScope(SOURCE, [{ name: 'K', type: 'VARCHAR' }, { name: 'V', type: 'INTEGER' }]));
    const r = (rowtime: number, k: string, v: number): Row => ({ rowtime, values: [k, v] });
    // A opens at 0 and B at 3; A's row at 10 000 is at its window's end, so it opens A's next
    // window, and so does B's at 12 000. B's first window holds three rows: HAVING drops it.
    const out = drive(op, [
      r(0, 'A', 1), r(3, 'B', 2), r(5_000, 'B', 2), r(9_000, 'B', 2), r(9_999, 'A', 3), r(10_000, 'A', 4), r(12_000, 'B', 5), r(12_500, 'B', 6), 100_000,
    ]);
    expect(out.rows).toEqual([
      { rowtime: 10_000, values: [10_000, 'A', 2, 4] },
      { rowtime: 20_000, values: [20_000, 'A', 1, 4] },
      { rowtime: 22_000, values: [22_000, 'B', 2, 11] },
    ]);
    expect(out.errors).toEqual([]);
  });

  it('reports rows that fail, rows behind the watermark, and failing output rows to the emitter', () => {
    const sql = `SELECT STREAM k, 10 / SUM(v) AS inv FROM "SOURCE_SQL_STREAM_001" WHERE 1 / v <> 0 WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '1' SECOND)`;
    const op = stagger(selectOf(sql), streamScope(SOURCE, [{ name: 'K', type: 'VARCHAR' }, { name: 'V', type: 'DOUBLE' }]), { graceMs: 500 });
    const zero: Row = { rowtime: 0, values: ['A', 0] };
    const late: Row = { rowtime: 1_000, values: ['A', 1] };
    const out = drive(op, [zero, { rowtime: 100, values: ['A', 2] }, { rowtime: 200, values: ['B', 5] }, { rowtime: 300, values: ['B', -5] }, 1_600, late, 5_000]);
    expect(out.rows).toEqual([{ rowtime: 1_100, values: ['A', 5] }]);
    expect(out.errors.map((e) => [e.error.name, e.input])).toEqual([['DivisionByZero', zero], ['LateRow', late], ['DivisionByZero', undefined]]);
    expect(op.lateRows).toBe(1);
  });

  it('rejects queries it cannot run', () => {
    const scope = streamScope(SOURCE, [{ name: 'K', type: 'VARCHAR' }, { name: 'V', type: 'INTEGER' }]);
    const build = (sql: string) => () => stagger(selectOf(sql), scope);
    expect(build(`SELECT STREAM v, COUNT(*) FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '1' MINUTE)`))
      .toThrow(expect.objectContaining({ detail: 'column "V" must appear in PARTITION BY or inside an aggregate' }));
    expect(build(`SELECT STREAM k, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY k, STEP(ROWTIME BY INTERVAL '1' MINUTE)`)).toThrow(SqlCompileError);
    expect(build(`SELECT STREAM * FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '1' MINUTE)`)).toThrow(/SELECT \*/);
  });

  it('matches a naive recomputation over seeded random input, and a snapshot restored mid-stream continues identically', () => {
    const sql = `SELECT STREAM ROWTIME, k, UPPER(k) AS uk, COUNT(*), COUNT(v), COUNT(DISTINCT v), SUM(v), AVG(v), MIN(v), MAX(v)
      FROM "SOURCE_SQL_STREAM_001" WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '5' SECOND)`;
    const scope = streamScope(SOURCE, [{ name: 'K', type: 'VARCHAR' }, { name: 'V', type: 'INTEGER' }]);
    let totalRows = 0;
    let totalLate = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const rand = mulberry32(seed);
      const graceMs = Math.floor(rand() * 3) * 1_000;
      const op = stagger(selectOf(sql), scope, { graceMs });
      const naive = new NaiveStagger(5_000, graceMs);
      const run = runAgainst(op, naive, () => stagger(selectOf(sql), scope, { graceMs }));
      const { out, restoredOut } = run;
      let t = Math.floor(rand() * 1_000) * 250;
      let watermark = t;
      for (let i = 0; i < 3_000; i++) {
        t += Math.floor(rand() * 3) * 250;
        // Now and then a row from the past, to exercise grace and late rows.
        const rowtime = rand() < 0.1 ? t - Math.floor(rand() * 12) * 250 : t;
        const row: Row = { rowtime, values: [[null, 'a', 'b', 'c', 'd'][Math.floor(rand() * 5)] ?? null, rand() < 0.2 ? null : Math.floor(rand() * 6)] };
        run.push(row);
        if (rand() < 0.1) {
          watermark = Math.max(watermark, t - Math.floor(rand() * 4) * 250);
          run.advance(watermark);
        }
        if (i === 1_700) run.restore();
      }
      run.advance(Infinity);
      expect(out.rows).toEqual(run.expected);
      expect(out.errors.map((e) => e.input)).toEqual(naive.lateRows);
      expect(restoredOut.rows).toEqual(out.rows);
      expect(restoredOut.errors).toEqual(out.errors);
      totalRows += out.rows.length;
      totalLate += naive.lateRows.length;
    }
    expect(totalLate).toBeGreaterThan(50);
    expect(totalRows).toBeGreaterThan(5_000);
  });
});

/**
 * Reference: keep every accepted row with its arrival index; at each watermark, rebuild every
 * key's windows from scratch by replaying its rows in arrival order, and emit those that close.
 */
class NaiveStagger extends NaiveWindows {
  constructor(private readonly rangeMs: number, graceMs: number) {
    super(graceMs);
  }

  protected isLate(row: Row): boolean {
    return row.rowtime < this.closedThrough;
  }

  protected close(before: number, threshold: number): Row[] {
    const windows: { key: Value; open: number; seq: number; rows: Row[] }[] = [];
    const currentOf = new Map<Value, (typeof windows)[number]>();
    for (const row of this.accepted) {
      const key = row.values[0] ?? null;
      let w = currentOf.get(key);
      if (!w || row.rowtime >= w.open + this.rangeMs) {
        w = { key, open: row.rowtime, seq: windows.length, rows: [] };
        windows.push(w);
        currentOf.set(key, w);
      }
      w.rows.push(row);
    }
    return windows
      .filter((w) => w.open + this.rangeMs > before && w.open + this.rangeMs <= threshold)
      .sort((a, b) => a.open - b.open || a.seq - b.seq)
      .map((w) => {
        const end = w.open + this.rangeMs;
        const vs = w.rows.map((r) => r.values[1] ?? null).filter((v): v is number => v !== null);
        const sum = vs.reduce((a, b) => a + b, 0);
        const values: Value[] = [
          end, w.key, typeof w.key === 'string' ? w.key.toUpperCase() : null, w.rows.length, vs.length, new Set(vs).size,
          vs.length ? sum : null, vs.length ? Math.trunc(sum / vs.length) : null, vs.length ? Math.min(...vs) : null, vs.length ? Math.max(...vs) : null,
        ];
        return { rowtime: end, values };
      });
  }
}
