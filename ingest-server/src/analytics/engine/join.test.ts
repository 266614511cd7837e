import { describe, expect, it } from 'vitest';
import type { Select } from '../sql/index.js';
import { parseSql } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import { compileExpr } from './expr.js';
import type { Relation, RelationInput, ReferenceTable } from './join.js';
import { planRelation } from './join.js';
import { collectingEmitter } from './operator.js';
import type { Row, Value } from './values.js';
import { mulberry32 } from '../../../../test/fixtures/prng.js';

function selectOf(sql: string): Select {
  const last = parseSql(sql).at(-1);
  if (last?.kind === 'CreatePump' || last?.kind === 'Select') return last.select;
  throw new Error('no SELECT in the SQL');
}

function plan(sql: string, inputs: readonly RelationInput[]): { select: Select; relation: Relation } {
  const select = selectOf(sql);
  return { select, relation: planRelation(select, (name) => inputs.find((i) => i.name === name)) };
}

/** The SELECT list evaluated over joined rows, as the body operator would. */
function project(select: Select, relation: Relation, rows: readonly Row[]): Value[][] {
  const fns = select.items.map((item) => {
    if (item.kind !== 'expr') throw new Error('star items are not projected here');
    return compileExpr(item.expr, relation.scope).fn;
  });
  return rows.map((r) => fns.map((f) => f(r)));
}

const SOURCE = 'SOURCE_SQL_STREAM_001';
// Developer Guide, "Getting Started": the demo stream's schema.
const source: RelationInput = {
  kind: 'stream',
  name: SOURCE,
  columns: [
    { name: 'TICKER_SYMBOL', type: 'VARCHAR' },
    { name: 'SECTOR', type: 'VARCHAR' },
    { name: 'CHANGE', type: 'DOUBLE' },
    { name: 'PRICE', type: 'DOUBLE' },
  ],
};
// Developer Guide, "Example: Adding Reference Data": TickerReference.csv, loaded as table
// "CompanyName". The guide's CSV has spaces after some commas (" SomeCompanyA"); they are shown
// trimmed, as the reference-data reader's business, not the join's.
const companies: ReferenceTable = {
  columns: [{ name: 'Ticker', type: 'VARCHAR' }, { name: 'Company', type: 'VARCHAR' }],
  rows: [['AMZN', 'Amazon'], ['ASD', 'SomeCompanyA'], ['MMB', 'SomeCompanyB'], ['WAS', 'SomeCompanyC']],
};
const companyTable = (table: ReferenceTable = companies): RelationInput => ({ kind: 'table', name: 'CompanyName', table });

// Developer Guide, "Example: Adding Reference Data", step 3, as written.
const REFERENCE_JOIN = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), "Company" varchar(20), sector VARCHAR(12), change DOUBLE, price DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";`;

const tick = (rowtime: number, ticker: string, price: number): Row => ({ rowtime, values: [ticker, 'TECHNOLOGY', 0.5, price] });
const ticks = [tick(1000, 'AMZN', 10), tick(2000, 'MSFT', 20), tick(3000, 'WAS', 30), tick(3000, 'ASD', 40)];

function run(relation: Relation, rows: readonly (Row | [Row, number])[]) {
  const out = collectingEmitter();
  for (const r of rows) Array.isArray(r) ? relation.operator?.push(r[0], out, r[1]) : relation.operator?.push(r, out);
  return out;
}

describe('planRelation: stream to reference table', () => {
  it('runs the AWS reference-data LEFT JOIN: company names where the ticker is known, NULL where not', () => {
    const { select, relation } = plan(REFERENCE_JOIN, [source, companyTable()]);
    expect(relation.streams).toEqual([SOURCE]);
    expect(relation.tables).toEqual(['CompanyName']);
    expect(relation.operator?.columns).toEqual(['TICKER_SYMBOL', 'SECTOR', 'CHANGE', 'PRICE', 'Ticker', 'Company']);
    const out = run(relation, ticks);
    expect(out.errors).toEqual([]);
    expect(out.rows.map((r) => r.rowtime)).toEqual([1000, 2000, 3000, 3000]);
    expect(project(select, relation, out.rows)).toEqual([
      ['AMZN', 'Amazon', 'TECHNOLOGY', 0.5, 10],
      ['MSFT', null, 'TECHNOLOGY', 0.5, 20],
      ['WAS', 'SomeCompanyC', 'TECHNOLOGY', 0.5, 30],
      ['ASD', 'SomeCompanyA', 'TECHNOLOGY', 0.5, 40],
    ]);
  });

  it('drops unmatched rows with an INNER JOIN', () => {
    const { select, relation } = plan(REFERENCE_JOIN.replace('LEFT JOIN', 'JOIN'), [source, companyTable()]);
    expect(project(select, relation, run(relation, ticks).rows).map((r) => r[1])).toEqual(['Amazon', 'SomeCompanyC', 'SomeCompanyA']);
  });

  it('emits one row per matching table row, in table order', () => {
    const dup = { ...companies, rows: [['AMZN', 'Amazon'], ['MMB', 'B'], ['AMZN', 'Amazon.com'], ['AMZN', null]] };
    const { select, relation } = plan(REFERENCE_JOIN, [source, companyTable(dup)]);
    expect(project(select, relation, run(relation, [tick(1, 'AMZN', 1)]).rows).map((r) => r[1])).toEqual(['Amazon', 'Amazon.com', null]);
  });

  it('behaves as an empty table until data is loaded, and setTable swaps the data', () => {
    const { select, relation } = plan(REFERENCE_JOIN, [source, companyTable({ ...companies, rows: [] })]);
    const op = relation.operator;
    const out = collectingEmitter();
    op?.push(tick(1, 'AMZN', 1), out);
    op?.setTable('CompanyName', companies);
    op?.push(tick(2, 'AMZN', 1), out);
    op?.setTable('CompanyName', { ...companies, rows: [['AMZN', 'Amazon Inc'], ['MSFT', 'Microsoft']] });
    op?.push(tick(3, 'AMZN', 1), out);
    op?.push(tick(4, 'WAS', 1), out);
    op?.setTable('OtherTable', { columns: [], rows: [] }); // not joined by this pump: ignored
    expect(project(select, relation, out.rows).map((r) => r[1])).toEqual([null, 'Amazon', 'Amazon Inc', null]);
    expect(() => op?.setTable('CompanyName', { columns: [{ name: 'Ticker', type: 'VARCHAR' }], rows: [] })).toThrow(SqlRuntimeError);
  });

  it('falls back to a nested loop without an equality, and filters hash matches by the rest of ON', () => {
    const bands: RelationInput = { kind: 'table', name: 'BANDS', table: { columns: [{ name: 'LO', type: 'DOUBLE' }, { name: 'HI', type: 'DOUBLE' }, { name: 'LABEL', type: 'VARCHAR' }], rows: [[0, 15, 'low'], [10, 100, 'mid'], [100, 1000, 'high']] } };
    const loop = plan(`SELECT STREAM ticker_symbol, b.label FROM ${SOURCE} JOIN bands AS b ON price >= b.lo AND price < b.hi`, [source, bands]);
    expect(project(loop.select, loop.relation, run(loop.relation, [tick(1, 'A', 12), tick(2, 'B', 500)]).rows)).toEqual([['A', 'low'], ['A', 'mid'], ['B', 'high']]);
    const mixed = plan(`${REFERENCE_JOIN.slice(0, -1)} AND "c"."Company" LIKE 'Some%'`, [source, companyTable()]);
    expect(project(mixed.select, mixed.relation, run(mixed.relation, ticks).rows).map((r) => r[1])).toEqual([null, null, 'SomeCompanyC', 'SomeCompanyA']);
  });

  it('sends a row whose ON fails to error_stream and emits nothing for it', () => {
    const ids: RelationInput = { kind: 'table', name: 'IDS', table: { columns: [{ name: 'ID', type: 'INTEGER' }], rows: [[1]] } };
    const { relation } = plan(`SELECT STREAM * FROM ${SOURCE} LEFT JOIN ids ON CAST(ticker_symbol AS INTEGER) = ids.id`, [source, ids]);
    const out = run(relation, [{ rowtime: 1, values: ['1', 'S', 0, 0] }, tick(2, 'AMZN', 1)]);
    expect(out.rows).toEqual([{ rowtime: 1, values: ['1', 'S', 0, 0, 1] }]);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]?.error.name).toBe('TypeCoercion');
    expect(out.errors[0]?.input).toEqual(tick(2, 'AMZN', 1));
  });

  it('has no operator when there is no JOIN, and no snapshot state for table joins', () => {
    const bare = plan(`SELECT STREAM * FROM ${SOURCE}`, [source]).relation;
    expect(bare.operator).toBeUndefined();
    expect(bare.scope.columns.map((c) => c.name)).toEqual(['TICKER_SYMBOL', 'SECTOR', 'CHANGE', 'PRICE']);
    const joined = plan(REFERENCE_JOIN, [source, companyTable()]).relation;
    expect(JSON.parse(JSON.stringify(joined.operator?.snapshot()))).toEqual({ version: 1, stream: null });
  });
});

const orders: RelationInput = { kind: 'stream', name: 'ORDERSTREAM', columns: [{ name: 'ORDERID', type: 'INTEGER' }, { name: 'TICKER', type: 'VARCHAR' }, { name: 'AMOUNT', type: 'DOUBLE' }] };
const trades: RelationInput = { kind: 'stream', name: 'TRADESTREAM', columns: [{ name: 'TRADEID', type: 'INTEGER' }, { name: 'ORDERID', type: 'INTEGER' }, { name: 'TICKER', type: 'VARCHAR' }, { name: 'AMOUNT', type: 'DOUBLE' }] };
// Developer Guide, "Streaming Data Operations: Stream Joins", Example 1, both forms.
const STREAM_JOIN_INLINE = `SELECT STREAM ROWTIME, o.orderId, o.ticker, o.amount AS orderAmount, t.amount AS tradeAmount FROM OrderStream AS o JOIN TradeStream OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS t ON o.orderId = t.orderId;`;
const STREAM_JOIN_NAMED = `SELECT STREAM ROWTIME, o.orderId, o.ticker, o.amount AS orderAmount, t.amount AS tradeAmount FROM OrderStream AS o JOIN TradeStream OVER t ON o.orderId = t.orderId WINDOW t AS (RANGE INTERVAL '1' MINUTE PRECEDING)`;
const order = (rowtime: number, id: number, amount: number): [Row, number] => [{ rowtime, values: [id, 'AMZN', amount] }, 0];
const trade = (rowtime: number, id: number, orderId: number, amount: number): [Row, number] => [{ rowtime, values: [id, orderId, 'AMZN', amount] }, 1];

describe('planRelation: stream to stream', () => {
  const scenario = [trade(0, 900, 1, 5), trade(10_000, 901, 1, 6), order(30_000, 1, 100), trade(30_000, 902, 1, 7), order(70_000, 1, 200), trade(75_000, 903, 2, 8), order(75_000, 2, 300), order(200_000, 3, 400)];

  it.each([['inline', STREAM_JOIN_INLINE], ['named', STREAM_JOIN_NAMED]])('runs the AWS order/trade join with an %s window: trades in the minute before each order', (_, sql) => {
    const { select, relation } = plan(sql, [orders, trades]);
    expect(relation.streams).toEqual(['ORDERSTREAM', 'TRADESTREAM']);
    const out = run(relation, scenario);
    expect(out.errors).toEqual([]);
    // ROWTIME of a pair is the later row's: always the order's, as trades must precede it.
    expect(project(select, relation, out.rows)).toEqual([
      [30_000, 1, 'AMZN', 100, 5],
      [30_000, 1, 'AMZN', 100, 6],
      [30_000, 1, 'AMZN', 100, 7], // same ROWTIME, arriving after the order
      [70_000, 1, 'AMZN', 200, 6], // 10 000 is exactly one minute before: bounds are inclusive
      [70_000, 1, 'AMZN', 200, 7],
      [75_000, 2, 'AMZN', 300, 8],
    ]);
  });

  it('emits an unmatched LEFT row with NULLs once time passes it, not before a same-time match can come', () => {
    const { select, relation } = plan(STREAM_JOIN_INLINE.replace(' JOIN', ' LEFT JOIN'), [orders, trades]);
    const op = relation.operator;
    const out = collectingEmitter();
    op?.push(order(1000, 1, 10)[0], out, 0);
    op?.push(order(1000, 2, 20)[0], out, 0);
    expect(out.rows).toEqual([]);
    op?.push(trade(1000, 900, 2, 5)[0], out, 1);
    expect(project(select, relation, out.rows)).toEqual([[1000, 2, 'AMZN', 20, 5]]);
    op?.push(order(2000, 3, 30)[0], out, 0);
    expect(project(select, relation, out.rows).slice(1)).toEqual([[1000, 1, 'AMZN', 10, null]]);
    op?.advance(2001, out);
    expect(project(select, relation, out.rows).slice(2)).toEqual([[2000, 3, 'AMZN', 30, null]]);
  });

  it('joins over ROWS n PRECEDING: the latest n + 1 rows of the joined stream', () => {
    const { select, relation } = plan(`SELECT STREAM o.orderId, t.tradeId FROM OrderStream AS o JOIN TradeStream OVER (ROWS 1 PRECEDING) AS t ON o.orderId = t.orderId`, [orders, trades]);
    const out = run(relation, [trade(0, 900, 1, 0), trade(1, 901, 1, 0), trade(2, 902, 1, 0), order(100_000_000, 1, 0)]);
    expect(project(select, relation, out.rows)).toEqual([[1, 901], [1, 902]]);
  });

  it('chains a reference table after the stream join, over the joined rows', () => {
    const names: RelationInput = { kind: 'table', name: 'NAMES', table: { columns: [{ name: 'TICKER', type: 'VARCHAR' }, { name: 'NAME', type: 'VARCHAR' }], rows: [['AMZN', 'Amazon']] } };
    const { select, relation } = plan(`SELECT STREAM o.orderId, t.tradeId, n.name FROM OrderStream AS o JOIN TradeStream OVER (RANGE INTERVAL '1' SECOND PRECEDING) AS t ON o.orderId = t.orderId LEFT JOIN names AS n ON t.ticker = n.ticker`, [orders, trades, names]);
    expect(relation.tables).toEqual(['NAMES']);
    expect(project(select, relation, run(relation, [trade(0, 900, 1, 0), order(500, 1, 0)]).rows)).toEqual([[1, 900, 'Amazon']]);
  });

  it('keeps state bounded: pushes and advance evict rows that left the window', () => {
    const { relation } = plan(STREAM_JOIN_INLINE.replace(' JOIN', ' LEFT JOIN'), [orders, trades]);
    const op = relation.operator as NonNullable<Relation['operator']> & { bufferedRows: number };
    const out = collectingEmitter();
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      op.push({ rowtime: i * 1000, values: [i % 7, 'X', 1] }, out, i % 2);
      most = Math.max(most, op.bufferedRows);
    }
    // One row a second per side: the trades of the last minute plus the orders at the current time.
    expect(most).toBeLessThanOrEqual(62);
    op.advance(1e12, out);
    expect(op.bufferedRows).toBe(0);
    expect(out.rows.every((r, i) => i === 0 || r.rowtime >= (out.rows[i - 1]?.rowtime ?? 0))).toBe(true);
  });

  it('lets a row that arrives behind the join time enter at the join time rather than drop it', () => {
    const { relation } = plan(STREAM_JOIN_INLINE, [orders, trades]);
    const out = run(relation, [order(5000, 1, 10), trade(4000, 900, 1, 5)]);
    expect(out.rows).toEqual([{ rowtime: 5000, values: [1, 'AMZN', 10, 900, 1, 'AMZN', 5] }]);
  });
});

describe('planRelation: compile errors', () => {
  const cases: [string, string, RegExp][] = [
    ['an unknown table', `SELECT STREAM * FROM ${SOURCE} JOIN nowhere ON 1 = 1`, /unknown stream or reference table "NOWHERE"/],
    ['an unknown FROM stream', 'SELECT STREAM * FROM nowhere', /unknown stream or reference table/],
    ['a reference table in FROM', `SELECT STREAM * FROM "CompanyName" JOIN ${SOURCE} OVER (ROWS 1 PRECEDING) ON 1 = 1`, /FROM must name an in-application stream/],
    ['a stream join without OVER', 'SELECT STREAM * FROM OrderStream AS o JOIN TradeStream AS t ON o.orderId = t.orderId', /needs a window/],
    ['a table join with OVER', `SELECT STREAM * FROM ${SOURCE} JOIN "CompanyName" OVER (ROWS 1 PRECEDING) AS c ON ticker_symbol = c."Ticker"`, /cannot have an OVER window/],
    ['an ambiguous column', 'SELECT STREAM * FROM OrderStream AS o JOIN TradeStream OVER (ROWS 1 PRECEDING) AS t ON orderId = 1', /column "ORDERID" is ambiguous/],
    ['an undefined named window', 'SELECT STREAM * FROM OrderStream AS o JOIN TradeStream OVER w AS t ON o.orderId = t.orderId', /window "W" is not defined/],
    ['a partitioned join window', 'SELECT STREAM * FROM OrderStream AS o JOIN TradeStream OVER w AS t ON o.orderId = t.orderId WINDOW w AS (PARTITION BY ticker RANGE INTERVAL \'1\' MINUTE PRECEDING)', /cannot have PARTITION BY/],
    ['a second stream join', 'SELECT STREAM * FROM OrderStream AS o JOIN TradeStream OVER (ROWS 1 PRECEDING) AS t ON o.orderId = t.orderId JOIN TradeStream OVER (ROWS 1 PRECEDING) AS u ON u.orderId = o.orderId', /only one stream-to-stream join/],
    ['a non-boolean ON', 'SELECT STREAM * FROM OrderStream AS o JOIN TradeStream OVER (ROWS 1 PRECEDING) AS t ON o.amount', /ON must be a BOOLEAN/],
  ];
  it.each(cases)('reports %s with its position', (_, sql, message) => {
    let error: unknown;
    try {
      plan(sql, [source, companyTable(), orders, trades]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SqlCompileError);
    expect((error as SqlCompileError).message).toMatch(message);
    expect((error as SqlCompileError).line).toBe(1);
  });
});

describe('planRelation: stream join against a naive nested loop (generated)', () => {
  const L: RelationInput = { kind: 'stream', name: 'L', columns: [{ name: 'K', type: 'INTEGER' }, { name: 'AMOUNT', type: 'DOUBLE' }] };
  const R: RelationInput = { kind: 'stream', name: 'R', columns: [{ name: 'K', type: 'INTEGER' }, { name: 'AMOUNT', type: 'DOUBLE' }] };
  type Ev = { row: Row; side: number };
  const ONS: [string, (l: readonly Value[], r: readonly Value[]) => boolean][] = [
    ['l.k = r.k', (l, r) => l[0] !== null && l[0] === r[0]],
    ['l.k = r.k AND r.amount < l.amount', (l, r) => l[0] !== null && l[0] === r[0] && (r[1] as number) < (l[1] as number)],
    ['l.amount > r.amount + 5', (l, r) => (l[1] as number) > (r[1] as number) + 5],
  ];

  /** Pairs by definition: a left row with the right rows in its window (module header of join.ts). */
  function naive(events: readonly Ev[], kind: string, window: { rangeMs: number } | { rows: number }, on: (l: readonly Value[], r: readonly Value[]) => boolean): Row[] {
    const out: Row[] = [];
    events.forEach((ev, i) => {
      if (ev.side !== 0) return;
      const l = ev.row;
      let rights: Row[];
      if ('rangeMs' in window) rights = events.filter((e) => e.side === 1 && e.row.rowtime >= l.rowtime - window.rangeMs && e.row.rowtime <= l.rowtime).map((e) => e.row);
      else {
        const before = events.slice(0, i).filter((e) => e.side === 1).map((e) => e.row).slice(-(window.rows + 1));
        rights = [...before, ...events.slice(i + 1).filter((e) => e.side === 1 && e.row.rowtime === l.rowtime).map((e) => e.row)];
      }
      const matched = rights.filter((r) => on(l.values, r.values)).map((r) => ({ rowtime: l.rowtime, values: [...l.values, ...r.values] }));
      out.push(...matched);
      if (matched.length === 0 && kind === 'LEFT') out.push({ rowtime: l.rowtime, values: [...l.values, null, null] });
    });
    return out;
  }

  const sorted = (rows: readonly Row[]) => rows.map((r) => JSON.stringify([r.rowtime, r.values])).sort();

  function generate(rand: () => number, n: number): Ev[] {
    const events: Ev[] = [];
    let t = 0;
    for (let i = 0; i < n; i++) {
      if (rand() < 0.6) t += Math.floor(rand() * 3000); // ties are common on purpose
      const key = rand() < 0.1 ? null : Math.floor(rand() * 4);
      events.push({ row: { rowtime: t, values: [key, Math.floor(rand() * 40)] }, side: rand() < 0.5 ? 0 : 1 });
    }
    return events;
  }

  it('matches the definition on 300 random inputs: INNER and LEFT, RANGE and ROWS, hashed and nested-loop ON', () => {
    const rand = mulberry32(20_180_801);
    for (let trial = 0; trial < 300; trial++) {
      const kind = rand() < 0.5 ? 'INNER' : 'LEFT';
      const window: { rangeMs: number } | { rows: number } = rand() < 0.6 ? { rangeMs: Math.floor(rand() * 8000) } : { rows: Math.floor(rand() * 5) };
      const [onSql, on] = ONS[Math.floor(rand() * ONS.length)] ?? ONS[0]!;
      const over = 'rangeMs' in window ? `RANGE INTERVAL '${window.rangeMs / 1000}' SECOND PRECEDING` : `ROWS ${window.rows} PRECEDING`;
      const { relation } = plan(`SELECT STREAM * FROM L AS l ${kind === 'LEFT' ? 'LEFT ' : ''}JOIN R OVER (${over}) AS r ON ${onSql}`, [L, R]);
      const events = generate(rand, 1 + Math.floor(rand() * 60));
      const out = collectingEmitter();
      for (const e of events) relation.operator?.push(e.row, out, e.side);
      relation.operator?.advance(Number.MAX_SAFE_INTEGER, out);
      const context = JSON.stringify({ trial, kind, window, onSql });
      expect(out.errors, context).toEqual([]);
      expect(sorted(out.rows), context).toEqual(sorted(naive(events, kind, window, on)));
      expect(out.rows.every((r, i) => r.rowtime >= (out.rows[i - 1]?.rowtime ?? -Infinity)), context).toBe(true);
    }
  });

  it('restored from a JSON snapshot mid-stream, continues exactly as an uninterrupted run', () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 50; trial++) {
      const sql = `SELECT STREAM * FROM L AS l LEFT JOIN R OVER (${trial % 2 ? 'ROWS 3' : "RANGE INTERVAL '5' SECOND"} PRECEDING) AS r ON l.k = r.k`;
      const events = generate(rand, 80);
      // Values JSON cannot carry as such must survive the snapshot too.
      events.forEach((e, i) => { if (i % 9 === 0) e.row = { rowtime: e.row.rowtime, values: [e.row.values[0] ?? null, [Number.NaN, -0, Number.POSITIVE_INFINITY][i % 3] ?? 0] }; });
      const cut = Math.floor(rand() * events.length);
      const whole = collectingEmitter();
      const a = plan(sql, [L, R]).relation.operator;
      for (const e of events) a?.push(e.row, whole, e.side);
      a?.advance(Number.MAX_SAFE_INTEGER, whole);

      const parts = collectingEmitter();
      const b = plan(sql, [L, R]).relation.operator;
      for (const e of events.slice(0, cut)) b?.push(e.row, parts, e.side);
      const saved = JSON.stringify(b?.snapshot());
      const c = plan(sql, [L, R]).relation.operator;
      c?.restore(JSON.parse(saved));
      for (const e of events.slice(cut)) c?.push(e.row, parts, e.side);
      c?.advance(Number.MAX_SAFE_INTEGER, parts);
      expect(parts.rows, `trial ${trial}`).toEqual(whole.rows);
    }
  });
});
