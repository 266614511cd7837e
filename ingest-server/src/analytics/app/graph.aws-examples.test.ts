/**
 * Acceptance tests at the application level: the AWS KDA SQL Developer Guide's example
 * applications (CREATE STREAM + CREATE PUMP, as written) compiled by AppGraph and run row by
 * row, with the exact rows DESTINATION_SQL_STREAM and error_stream receive, after the casts
 * into the declared destination types. Covered: the Getting Started continuous filter, the
 * tumbling window, tumbling by event time and ROWTIME, stagger windows (concept page and
 * "Example: Stagger Window"), sliding windows (Examples 1 and 2), the reference-data LEFT JOIN
 * and the division-by-zero error stream.
 * Where the guide gives inputs and results (the "Stagger Windows" tables, the stagger
 * example's records, TickerReference.csv) they are used as printed; where it gives no data or
 * only a screenshot, the rows are derived from the documented rules, as each test says.
 * Grace periods, chained pumps, INSERT casts and snapshots: graph.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../engine/values.js';
import type { StreamColumn } from './graph.js';
import { compileRecordDecoder } from '../record-format.js';
import {
  CONTINUOUS_FILTER, REFERENCE_JOIN, SLIDING_2, STAGGER, STAGGER_CONCEPTS, STAGGER_WINDOWS_INPUT, staggerExampleArrivals, TUMBLING_EVENT_TIME,
} from '../sql/aws-examples.fixture.js';
import { referenceTable } from './build.js';
import {
  at, COMPANY_NAME_SCHEMA, DEMO_COLUMNS, DIVIDE_BY_ZERO, NOW_MS, runApp, SLIDING_1_APP, TICKER_REFERENCE_CSV, TUMBLING_APP,
} from './aws-examples-data.fixture.js';

const varchar = (name: string, length: number): StreamColumn => ({ name, type: 'VARCHAR', sqlType: { name: 'VARCHAR', length } });
const timestamp = (name: string): StreamColumn => ({ name, type: 'TIMESTAMP', sqlType: { name: 'TIMESTAMP' } });

describe('AWS guide applications, run as written', () => {
  it('Getting Started continuous filter: passes the %TECH% sectors through unchanged, at their ROWTIME', () => {
    // The guide shows the demo stream only as a screenshot: demo-shaped rows, output derived from WHERE.
    const app = runApp(CONTINUOUS_FILTER, DEMO_COLUMNS);
    app.insert(at(10, 0, 1), 'AMZN', 'TECHNOLOGY', 0.5, 84.5);
    app.insert(at(10, 0, 2), 'XOM', 'ENERGY', -1.25, 75);
    app.insert(at(10, 0, 3), 'SQ', 'FINTECH', 2, 60);
    expect(app.out).toEqual([
      { rowtime: at(10, 0, 1), values: ['AMZN', 'TECHNOLOGY', 0.5, 84.5] },
      { rowtime: at(10, 0, 3), values: ['SQ', 'FINTECH', 2, 60] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Tumbling Windows: one MIN/MAX row per ticker and minute, at the window end, once the minute has passed', () => {
    // No input is documented: demo-shaped rows; ROWTIME = window end per the "Stagger Windows" tables.
    const app = runApp(TUMBLING_APP, DEMO_COLUMNS);
    app.insert(at(10, 0, 5), 'AMZN', 'TECHNOLOGY', 1, 84);
    app.insert(at(10, 0, 20), 'MSFT', 'TECHNOLOGY', -0.5, 50.5);
    app.insert(at(10, 0, 40), 'AMZN', 'TECHNOLOGY', 2, 86.25);
    app.insert(at(10, 0, 59, 999), 'AMZN', 'TECHNOLOGY', -6.25, 80);
    app.graph.advance(at(10, 0, 59, 999));
    expect(app.out).toEqual([]);
    app.insert(at(10, 1, 0), 'AMZN', 'TECHNOLOGY', 10, 90);
    app.graph.advance(at(10, 1, 0));
    expect(app.out).toEqual([
      { rowtime: at(10, 1, 0), values: ['AMZN', 80, 86.25] },
      { rowtime: at(10, 1, 0), values: ['MSFT', 50.5, 50.5] },
    ]);
    app.graph.advance(at(10, 2, 0));
    expect(app.out.slice(2)).toEqual([{ rowtime: at(10, 2, 0), values: ['AMZN', 90, 90] }]);
    expect(app.errors).toEqual([]);
  });

  it('Stagger Windows, "Partial Results with Tumbling Windows": the documented input gives the documented three rows', () => {
    // TUMBLING_EVENT_TIME declares EVENT_TIME in the destination (the printed two-column stream
    // could not take the SELECT's three values). The 11:01:05 row has event time 11:00:55.
    const app = runApp(TUMBLING_EVENT_TIME, [varchar('TICKER_SYMBOL', 4), timestamp('EVENT_TIME')]);
    for (const [i, [rowtime, eventTime]] of STAGGER_WINDOWS_INPUT.entries()) {
      // The minute 11:00 has passed before the third row comes.
      if (i === 2) app.graph.advance(at(11, 1, 0));
      app.insert(rowtime, 'AMZN', eventTime);
    }
    app.graph.advance(at(11, 2, 0));
    // TICKER_COUNT is DOUBLE: COUNT's INTEGER is cast, which a JS number does not show.
    expect(app.out).toEqual([
      { rowtime: at(11, 1, 0), values: ['AMZN', at(11, 0, 0), 2] },
      { rowtime: at(11, 2, 0), values: ['AMZN', at(11, 0, 0), 1] },
      { rowtime: at(11, 2, 0), values: ['AMZN', at(11, 1, 0), 1] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Stagger Windows, "Complete Results with Stagger Windows": the same input gives the documented two rows', () => {
    const app = runApp(STAGGER_CONCEPTS, [varchar('TICKER_SYMBOL', 4), timestamp('EVENT_TIME')]);
    for (const [rowtime, eventTime] of STAGGER_WINDOWS_INPUT) app.insert(rowtime, 'AMZN', eventTime);
    app.graph.advance(at(11, 1, 19, 999));
    expect(app.out).toEqual([]);
    app.graph.advance(at(11, 1, 20));
    app.graph.advance(at(11, 2, 15));
    expect(app.out).toEqual([
      { rowtime: at(11, 1, 20), values: ['AMZN', at(11, 0, 0), 3] },
      { rowtime: at(11, 2, 15), values: ['AMZN', at(11, 1, 0), 1] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Example: Stagger Window: each group of six records with one EVENT_TIME and TICKER gives one row of 6', () => {
    // The records and their arrival times are the guide's; its result is a screenshot, so the rows
    // are derived: a window opens at its key's first ROWTIME and closes one minute later.
    const amzn = parseTimestamp('2018-08-01T20:17:20.797945');
    const intc = parseTimestamp('2018-08-01T20:18:21.043084');
    if (amzn === undefined || intc === undefined) throw new Error('the guide\'s EVENT_TIME did not parse');
    const app = runApp(STAGGER, [timestamp('EVENT_TIME'), varchar('TICKER', 4)]);
    const arrivals = staggerExampleArrivals(amzn, intc);
    for (const [rowtime, eventTime, ticker] of arrivals) {
      app.insert(rowtime, eventTime, ticker);
      app.graph.advance(rowtime);
    }
    expect(app.out).toEqual([{ rowtime: at(20, 18, 30), values: [amzn, 'AMZN', 6] }]);
    app.graph.advance(at(20, 19, 31));
    expect(app.out).toEqual([
      { rowtime: at(20, 18, 30), values: [amzn, 'AMZN', 6] },
      { rowtime: at(20, 19, 31), values: [intc, 'INTC', 6] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Sliding Windows, Example 1: one row per input row over the ticker\'s last minute', () => {
    // No input is documented: demo-shaped rows, results derived from RANGE INTERVAL '1' MINUTE PRECEDING.
    const app = runApp(SLIDING_1_APP, DEMO_COLUMNS);
    app.insert(at(10, 0, 0), 'AMZN', 'TECHNOLOGY', 0, 10);
    app.insert(at(10, 0, 30), 'AMZN', 'TECHNOLOGY', 10, 20);
    app.insert(at(10, 0, 40), 'MSFT', 'TECHNOLOGY', 0, 7);
    app.insert(at(10, 1, 0, 500), 'AMZN', 'TECHNOLOGY', 10, 30);
    app.graph.advance(at(10, 1, 30));
    app.insert(at(10, 1, 45), 'AMZN', 'TECHNOLOGY', 10, 40);
    expect(app.out).toEqual([
      { rowtime: at(10, 0, 0), values: ['AMZN', 10, 10, 10] },
      { rowtime: at(10, 0, 30), values: ['AMZN', 10, 20, 15] },
      { rowtime: at(10, 0, 40), values: ['MSFT', 7, 7, 7] },
      { rowtime: at(10, 1, 0, 500), values: ['AMZN', 20, 30, 25] },
      { rowtime: at(10, 1, 45), values: ['AMZN', 30, 40, 35] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Sliding Windows, Example 2: the average percent change over the ticker\'s last 10 seconds', () => {
    // No input is documented: rows chosen so Change / (Price - Change) is exact in binary.
    const app = runApp(SLIDING_2, DEMO_COLUMNS);
    app.insert(at(10, 0, 0), 'AMZN', 'TECHNOLOGY', 1, 5);
    app.insert(at(10, 0, 5), 'AMZN', 'TECHNOLOGY', 3, 5);
    app.insert(at(10, 0, 6), 'MSFT', 'TECHNOLOGY', -1, 1);
    app.insert(at(10, 0, 12), 'AMZN', 'TECHNOLOGY', 0, 8);
    expect(app.out).toEqual([
      { rowtime: at(10, 0, 0), values: ['AMZN', 0.25] },
      { rowtime: at(10, 0, 5), values: ['AMZN', 0.875] },
      { rowtime: at(10, 0, 6), values: ['MSFT', -0.5] },
      { rowtime: at(10, 0, 12), values: ['AMZN', 0.75] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Example: Adding Reference Data: LEFT JOIN "CompanyName" adds the company, NULL when the ticker is not listed', () => {
    // TickerReference.csv decoded as KDA reads the S3 object (header line and leading spaces kept).
    const decode = compileRecordDecoder(COMPANY_NAME_SCHEMA);
    const app = runApp(REFERENCE_JOIN, DEMO_COLUMNS, { tables: [{ name: 'CompanyName', columns: decode.columns }] });
    const loaded = referenceTable(decode, Buffer.from(TICKER_REFERENCE_CSV, 'utf8'));
    expect(loaded.skipped).toBe(0);
    app.graph.setTable('CompanyName', loaded.table);
    app.insert(at(10, 0, 1), 'AMZN', 'TECHNOLOGY', 1.5, 100);
    app.insert(at(10, 0, 2), 'MMB', 'FINANCIAL', -0.5, 20);
    app.insert(at(10, 0, 3), 'XYZ', 'ENERGY', 0.25, 9);
    expect(app.out).toEqual([
      { rowtime: at(10, 0, 1), values: ['AMZN', 'Amazon', 'TECHNOLOGY', 1.5, 100] },
      { rowtime: at(10, 0, 2), values: ['MMB', ' SomeCompanyB', 'FINANCIAL', -0.5, 20] },
      { rowtime: at(10, 0, 3), values: ['XYZ', null, 'ENERGY', 0.25, 9] },
    ]);
    // Reference data reloaded (UpdateApplication): later rows join the new rows.
    app.graph.setTable('CompanyName', referenceTable(decode, Buffer.from('XYZ,Xyz Corp\n', 'utf8')).table);
    app.insert(at(10, 0, 4), 'XYZ', 'ENERGY', 0.5, 9.5);
    app.insert(at(10, 0, 5), 'AMZN', 'TECHNOLOGY', 1, 101);
    expect(app.out.slice(3)).toEqual([
      { rowtime: at(10, 0, 4), values: ['XYZ', 'Xyz Corp', 'ENERGY', 0.5, 9.5] },
      { rowtime: at(10, 0, 5), values: ['AMZN', null, 'TECHNOLOGY', 1, 101] },
    ]);
    expect(app.errors).toEqual([]);
  });

  it('Example: Exploring the In-Application Error Stream: price / 0 sends the TECH rows to error_stream, not to the destination', () => {
    const app = runApp(DIVIDE_BY_ZERO, DEMO_COLUMNS);
    app.insert(at(10, 0, 1), 'AMZN', 'TECHNOLOGY', 0.5, 84.5);
    app.insert(at(10, 0, 2), 'XOM', 'ENERGY', -1.25, 75);
    app.insert(at(10, 0, 3), 'MSFT', 'TECHNOLOGY', 1, 50);
    expect(app.out).toEqual([]);
    // DATA_ROW's exact text is checked in graph.test.ts.
    const errorOf = (rowtime: number) => ({
      rowtime: NOW_MS,
      values: [NOW_MS, 'ERROR', 'DivisionByZero', 'division by zero', rowtime, expect.any(String), 'STREAM_PUMP'],
    });
    expect(app.errors).toEqual([errorOf(at(10, 0, 1)), errorOf(at(10, 0, 3))]);
  });
});
