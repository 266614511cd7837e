/**
 * AppGraph at the application level, beyond the guide's examples: late rows (ROWTIME windows
 * whose watermark is ahead of ROWTIME, event-time windows with a grace period) and how they
 * reach error_stream, chained pumps (stream → pump → in-application stream → pump), INSERT
 * casts into the declared destination types and their failures, the error_stream row layout,
 * and snapshot()/restore() of a whole graph mid-window through JSON.
 * The AWS guide's example applications: graph.aws-examples.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../engine/values.js';
import { formatTimestamp } from '../engine/values.js';
import { TUMBLING_EVENT_TIME } from '../sql/aws-examples.fixture.js';
import { ARRIVAL_COLUMN } from './build.js';
import { AppGraph, type StreamColumn } from './graph.js';
import { at, DEMO_COLUMNS, DESTINATION, NOW_MS, runApp, SOURCE } from './aws-examples-data.fixture.js';

const varchar = (name: string, length: number): StreamColumn => ({ name, type: 'VARCHAR', sqlType: { name: 'VARCHAR', length } });
const timestamp = (name: string): StreamColumn => ({ name, type: 'TIMESTAMP', sqlType: { name: 'TIMESTAMP' } });
const double = (name: string): StreamColumn => ({ name, type: 'DOUBLE', sqlType: { name: 'DOUBLE' } });

/** An error_stream row, as errorRow lays it out. */
const errorRow = (name: string, message: string, dataRowtime: number, dataRow: unknown, pump: string) => ({
  rowtime: NOW_MS,
  values: [NOW_MS, 'ERROR', name, message, dataRowtime, dataRow, pump],
});

// A Rivulet event-time window: GROUP BY a key and STEP over an event-time column.
const EVENT_TIME_APP = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (k VARCHAR(8), window_start TIMESTAMP, n INTEGER);
CREATE OR REPLACE PUMP "EVENT_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM k, STEP(event_time BY INTERVAL '1' MINUTE), COUNT(*) AS n
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY k, STEP(event_time BY INTERVAL '1' MINUTE);`;

/** Runs EVENT_TIME_APP with a 30 s grace up to the late row; see the first test for the story. */
function eventTimeRun() {
  const app = runApp(EVENT_TIME_APP, [varchar('K', 8), timestamp('EVENT_TIME')], { graceMs: 30_000 });
  app.insert(at(10, 0, 5), 'a', at(10, 0, 1));
  app.insert(at(10, 0, 50), 'a', at(10, 0, 40));
  app.insert(at(10, 0, 55), 'b', at(10, 0, 30));
  app.graph.advance(at(10, 1, 10));
  const beforeGrace = [...app.out];
  app.insert(at(10, 1, 15), 'a', at(10, 0, 58));
  app.insert(at(10, 1, 20), 'a', at(10, 1, 5));
  app.graph.advance(at(10, 1, 30));
  app.insert(at(10, 1, 40), 'b', at(10, 0, 59));
  app.graph.advance(at(10, 2, 30));
  return { ...app, beforeGrace };
}

describe('AppGraph: late rows', () => {
  it('groups out-of-order event times by their minute and reports a row behind the watermark as LateRow (TUMBLING_EVENT_TIME)', () => {
    const app = runApp(TUMBLING_EVENT_TIME, [varchar('TICKER_SYMBOL', 4), timestamp('EVENT_TIME')]);
    app.insert(at(11, 0, 20), 'AMZN', at(11, 0, 10));
    app.insert(at(11, 1, 5), 'AMZN', at(11, 0, 55));
    app.insert(at(11, 1, 30), 'AMZN', at(10, 58, 10)); // three minutes behind: its own event minute
    app.graph.advance(at(11, 2, 0));
    // The watermark is ahead of this row's ROWTIME: its ROWTIME window 11:01-11:02 has closed.
    app.insert(at(11, 1, 50), 'AMZN', at(11, 1, 45));
    app.graph.advance(at(11, 3, 0));
    expect(app.out).toEqual([
      { rowtime: at(11, 1, 0), values: ['AMZN', at(11, 0, 0), 1] },
      { rowtime: at(11, 2, 0), values: ['AMZN', at(11, 0, 0), 1] },
      { rowtime: at(11, 2, 0), values: ['AMZN', at(10, 58, 0), 1] },
    ]);
    expect(app.errors).toEqual([
      errorRow('LateRow', 'row for the window starting at 2018-08-01T11:01:00.000Z came after it closed', at(11, 1, 50), expect.any(String), 'STREAM_PUMP'),
    ]);
  });

  it('counts an event-time row within the grace period and sends one past it to error_stream with the pump name', () => {
    const app = eventTimeRun();
    expect(app.beforeGrace).toEqual([]);
    // Event-time windows emit at the watermark that closed them.
    expect(app.out).toEqual([
      { rowtime: at(10, 1, 30), values: ['a', at(10, 0, 0), 3] },
      { rowtime: at(10, 1, 30), values: ['b', at(10, 0, 0), 1] },
      { rowtime: at(10, 2, 30), values: ['a', at(10, 1, 0), 1] },
    ]);
    expect(app.errors).toEqual([
      errorRow('LateRow', 'row for the window starting at 2018-08-01T10:00:00.000Z came after it closed', at(10, 1, 40), expect.any(String), 'EVENT_PUMP'),
    ]);
  });

  it('writes DATA_ROW as the row\'s values in a JSON array with timestamps as text, as error-stream.ts documents', () => {
    const app = eventTimeRun();
    const dataRow = app.errors[0]?.values[5];
    expect(dataRow).toBe(JSON.stringify(['b', formatTimestamp(at(10, 0, 59)), formatTimestamp(at(10, 1, 40))]));
  });
});

describe('AppGraph: chained pumps', () => {
  // The downstream pump is declared first: the graph must still run TEN_PUMP before MINUTE_PUMP.
  const CHAIN = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), trades INTEGER, max_price DOUBLE);
CREATE OR REPLACE STREAM "TEN_SECONDS" (ticker_symbol VARCHAR(4), n INTEGER, hi DOUBLE);
CREATE OR REPLACE PUMP "MINUTE_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, SUM(n) AS trades, MAX(hi) AS max_price FROM "TEN_SECONDS"
  GROUP BY ticker_symbol, STEP("TEN_SECONDS".ROWTIME BY INTERVAL '1' MINUTE);
CREATE OR REPLACE PUMP "TEN_PUMP" AS INSERT INTO "TEN_SECONDS"
  SELECT STREAM ticker_symbol, COUNT(*) AS n, MAX(price) AS hi FROM "SOURCE_SQL_STREAM_001"
  WHERE sector SIMILAR TO '%TECH%'
  GROUP BY ticker_symbol, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);`;

  it('runs stream → pump → intermediate stream → pump → destination, the feeding pump first', () => {
    const app = runApp(CHAIN, DEMO_COLUMNS);
    expect(app.graph.pumpNames).toEqual(['TEN_PUMP', 'MINUTE_PUMP']);
    const middle: Row[] = [];
    app.graph.onRow('TEN_SECONDS', (r) => void middle.push(r));
    app.insert(at(10, 0, 1), 'AMZN', 'TECHNOLOGY', 0, 10);
    app.insert(at(10, 0, 15), 'AMZN', 'TECHNOLOGY', 2, 12);
    app.insert(at(10, 0, 16), 'AMZN', 'TECHNOLOGY', 1, 9);
    app.insert(at(10, 0, 20), 'XOM', 'ENERGY', 0, 70);
    app.insert(at(10, 0, 55), 'AMZN', 'TECHNOLOGY', -1, 11);
    app.graph.advance(at(10, 1, 0));
    app.insert(at(10, 1, 2), 'AMZN', 'TECHNOLOGY', 2, 13);
    app.graph.advance(at(10, 2, 0));
    expect(middle).toEqual([
      { rowtime: at(10, 0, 10), values: ['AMZN', 1, 10] },
      { rowtime: at(10, 0, 20), values: ['AMZN', 2, 12] },
      { rowtime: at(10, 1, 0), values: ['AMZN', 1, 11] },
      { rowtime: at(10, 1, 10), values: ['AMZN', 1, 13] },
    ]);
    // The 10:00:50 window ends at 10:01:00, so its row falls in the next minute downstream.
    expect(app.out).toEqual([
      { rowtime: at(10, 1, 0), values: ['AMZN', 3, 12] },
      { rowtime: at(10, 2, 0), values: ['AMZN', 2, 13] },
    ]);
    expect(app.errors).toEqual([]);
  });
});

describe('AppGraph: INSERT casts', () => {
  const CASTS = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(10), whole_price INTEGER, sector_code VARCHAR(4), qty INTEGER);
CREATE OR REPLACE PUMP "CAST_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, price, sector, qty FROM "SOURCE_SQL_STREAM_001";`;
  const columns = [varchar('TICKER_SYMBOL', 4), varchar('SECTOR', 16), double('PRICE'), varchar('QTY', 8)];

  it('casts a DOUBLE into INTEGER and cuts a long string to VARCHAR(4)', () => {
    const app = runApp(CASTS, columns);
    app.insert(at(10, 0, 1), 'AMZN', 'TECHNOLOGY', 84.25, '12');
    app.insert(at(10, 0, 2), 'XOM', 'ENERGY', -7, ' 3 ');
    expect(app.out).toEqual([
      { rowtime: at(10, 0, 1), values: ['AMZN', 84, 'TECH', 12] },
      { rowtime: at(10, 0, 2), values: ['XOM', -7, 'ENER', 3] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('sends a row whose value does not fit its column to error_stream as TypeCoercion, with the pump name', () => {
    const app = runApp(CASTS, columns);
    app.insert(at(10, 0, 1), 'XOM', 'ENERGY', 70.5, 'many');
    app.insert(at(10, 0, 2), 'IBM', 'TECHNOLOGY', 3e10, '1');
    app.insert(at(10, 0, 3), 'MSFT', 'TECHNOLOGY', 50, '2');
    expect(app.out).toEqual([{ rowtime: at(10, 0, 3), values: ['MSFT', 50, 'TECH', 2] }]);
    // DATA_ROW is the row the pump's SELECT produced (in SELECT order), before the casts.
    expect(app.errors).toEqual([
      errorRow('TypeCoercion', 'cannot cast "many" to INTEGER', at(10, 0, 1), '["XOM",70.5,"ENERGY","many"]', 'CAST_PUMP'),
      errorRow('TypeCoercion', 'cannot cast 30000000000 to INTEGER', at(10, 0, 2), '["IBM",30000000000,"TECHNOLOGY","1"]', 'CAST_PUMP'),
    ]);
  });
});

describe('AppGraph: snapshot and restore', () => {
  const TWO_WINDOWS = `CREATE OR REPLACE STREAM "MINUTE_STREAM" (ticker_symbol VARCHAR(4), min_price DOUBLE, max_price DOUBLE);
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), avg_price DOUBLE, trades INTEGER);
CREATE OR REPLACE PUMP "MINUTE_PUMP" AS INSERT INTO "MINUTE_STREAM"
  SELECT STREAM ticker_symbol, MIN(price), MAX(price) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker_symbol, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE);
CREATE OR REPLACE PUMP "AVG_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, AVG(price) OVER W1, COUNT(*) OVER W1 FROM "SOURCE_SQL_STREAM_001"
  WINDOW W1 AS (PARTITION BY ticker_symbol RANGE INTERVAL '30' SECOND PRECEDING);`;

  type Step = { row: [number, string, number] } | { advance: number };
  const steps: Step[] = [
    { row: [at(10, 0, 5), 'AMZN', 10] },
    { row: [at(10, 0, 20), 'MSFT', 50] },
    { row: [at(10, 0, 30), 'AMZN', 14] },
    { advance: at(10, 0, 30) },
    // The split point: a minute window and two sliding frames are open here.
    { row: [at(10, 0, 50), 'AMZN', 12] },
    { advance: at(10, 1, 0) },
    { row: [at(10, 1, 10), 'AMZN', 20] },
    { advance: at(10, 2, 0) },
  ];

  function compile(): { graph: AppGraph; rows: [string, Row][] } {
    const graph = AppGraph.compile(TWO_WINDOWS, [{ name: SOURCE, columns: [...DEMO_COLUMNS, ARRIVAL_COLUMN] }], [], { now: () => NOW_MS });
    const rows: [string, Row][] = [];
    for (const stream of ['MINUTE_STREAM', DESTINATION, 'error_stream']) graph.onRow(stream, (r) => void rows.push([stream, r]));
    return { graph, rows };
  }

  function play(graph: AppGraph, from: number, to: number): void {
    for (const step of steps.slice(from, to)) {
      if ('advance' in step) graph.advance(step.advance);
      else graph.insert(SOURCE, { rowtime: step.row[0], values: [step.row[1], 'TECHNOLOGY', 0, step.row[2], step.row[0]] });
    }
  }

  it('gives, after a JSON round trip mid-window, the rows of an uninterrupted run', () => {
    const whole = compile();
    play(whole.graph, 0, steps.length);
    expect(whole.rows).toEqual([
      [DESTINATION, { rowtime: at(10, 0, 5), values: ['AMZN', 10, 1] }],
      [DESTINATION, { rowtime: at(10, 0, 20), values: ['MSFT', 50, 1] }],
      [DESTINATION, { rowtime: at(10, 0, 30), values: ['AMZN', 12, 2] }],
      [DESTINATION, { rowtime: at(10, 0, 50), values: ['AMZN', 13, 2] }],
      ['MINUTE_STREAM', { rowtime: at(10, 1, 0), values: ['AMZN', 10, 14] }],
      ['MINUTE_STREAM', { rowtime: at(10, 1, 0), values: ['MSFT', 50, 50] }],
      [DESTINATION, { rowtime: at(10, 1, 10), values: ['AMZN', 16, 2] }],
      ['MINUTE_STREAM', { rowtime: at(10, 2, 0), values: ['AMZN', 20, 20] }],
    ]);

    // Split at every step, the mid-window split above included.
    for (let split = 0; split <= steps.length; split++) {
      const first = compile();
      play(first.graph, 0, split);
      const saved: unknown = JSON.parse(JSON.stringify(first.graph.snapshot()));
      const second = compile();
      second.graph.restore(saved as ReturnType<AppGraph['snapshot']>);
      play(second.graph, split, steps.length);
      expect({ split, rows: [...first.rows, ...second.rows] }).toEqual({ split, rows: whole.rows });
    }
  });
});
