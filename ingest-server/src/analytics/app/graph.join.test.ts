/**
 * Stream-to-stream joins inside an application: two in-application streams split from the input
 * by pumps, joined by a third pump over a RANGE window, as the developer guide's order/trade
 * example does.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../engine/values.js';
import { ARRIVAL_COLUMN } from './build.js';
import { AppGraph } from './graph.js';

const CODE = `CREATE OR REPLACE STREAM "ORDERS" (order_id INTEGER, amount DOUBLE);
CREATE OR REPLACE STREAM "TRADES" (order_id INTEGER, price DOUBLE);
CREATE OR REPLACE STREAM "FILLED" (order_id INTEGER, amount DOUBLE, price DOUBLE);
CREATE OR REPLACE PUMP "ORDER_PUMP" AS INSERT INTO "ORDERS" SELECT STREAM order_id, amount FROM "SOURCE_SQL_STREAM_001" WHERE kind = 'order';
CREATE OR REPLACE PUMP "TRADE_PUMP" AS INSERT INTO "TRADES" SELECT STREAM order_id, amount FROM "SOURCE_SQL_STREAM_001" WHERE kind = 'trade';
CREATE OR REPLACE PUMP "JOIN_PUMP" AS INSERT INTO "FILLED"
  SELECT STREAM o.order_id, o.amount, t.price
  FROM "ORDERS" AS o
  JOIN "TRADES" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS t
  ON o.order_id = t.order_id;`;

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

function run(events: [offsetMs: number, kind: string, id: number, amount: number][]): Row[] {
  const graph = AppGraph.compile(
    CODE,
    [{ name: 'SOURCE_SQL_STREAM_001', columns: [{ name: 'KIND', type: 'VARCHAR' }, { name: 'ORDER_ID', type: 'INTEGER' }, { name: 'AMOUNT', type: 'DOUBLE' }, ARRIVAL_COLUMN] }],
    [],
    { now: () => T0 },
  );
  const out: Row[] = [];
  graph.onRow('FILLED', (r) => out.push(r));
  for (const [offset, kind, id, amount] of events) graph.insert('SOURCE_SQL_STREAM_001', { rowtime: T0 + offset, values: [kind, id, amount, T0 + offset] });
  graph.advance(T0 + 10 * 60_000);
  return out;
}

describe('stream-to-stream join in an application', () => {
  it('joins each order with the trades of the minute before it, at the order\'s ROWTIME', () => {
    const out = run([
      [0, 'trade', 1, 10.5],
      [1_000, 'trade', 2, 20.25],
      [30_000, 'order', 1, 100],
      [45_000, 'order', 3, 300],
      [50_000, 'trade', 1, 11],
      [70_000, 'order', 2, 200],
      [90_000, 'order', 1, 150],
    ]);
    expect(out.map((r) => [r.rowtime - T0, ...r.values])).toEqual([
      // order 1 at 30 s sees the trade at 0 s.
      [30_000, 1, 100, 10.5],
      // order 2 at 70 s: the trade at 1 s is more than a minute before it.
      // order 1 at 90 s sees the trade at 50 s, not the one at 0 s.
      [90_000, 1, 150, 11],
    ]);
  });
});
