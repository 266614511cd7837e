/**
 * The application code examples of the AWS Kinesis Data Analytics SQL Developer Guide and SQL
 * Reference, copied as written (whitespace aside), must parse unchanged: issue 6 promises that
 * users can bring their applications over as they are.
 */
import { describe, expect, it } from 'vitest';
import type { Select, SelectStatement, Statement } from './ast.js';
import { SqlSyntaxError } from './errors.js';
import { parseSql } from './parser.js';
import {
  CONTINUOUS_FILTER, ERROR_STREAM_SELECT, REFERENCE_JOIN, SLIDING_1, SLIDING_2, SLIDING_3, STAGGER, STREAM_JOIN_INLINE, STREAM_JOIN_NAMED,
  TUMBLING, TUMBLING_EVENT_TIME, WINDOW_CLAUSE_1, WINDOW_EXAMPLES, WINDOW_EXAMPLES_FIXED,
} from './aws-examples.fixture.js';

/** Drops `pos` so shapes can be compared with toEqual. */
function strip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'pos' ? undefined : v))) as T;
}

function only<K extends Statement['kind']>(statements: Statement[], index: number, kind: K): Extract<Statement, { kind: K }> {
  const s = statements[index];
  if (s?.kind !== kind) throw new Error(`statement ${index} is ${s?.kind ?? 'missing'}, expected ${kind}`);
  return s as Extract<Statement, { kind: K }>;
}

const col = (name: string, table?: string) => (table === undefined ? { kind: 'column', name } : { kind: 'column', table, name });
const call = (name: string, args: unknown[], extra: object = {}) => ({ kind: 'call', name, args, distinct: false, star: false, ...extra });
const minute = { kind: 'interval', text: '1', from: 'MINUTE', ms: 60_000 };

describe('AWS guide examples', () => {
  it('parses the Getting Started continuous filter: a stream, a pump and SIMILAR TO', () => {
    const statements = parseSql(CONTINUOUS_FILTER);
    const stream = strip(only(statements, 0, 'CreateStream'));
    expect(stream).toEqual({
      kind: 'CreateStream', orReplace: true, name: 'DESTINATION_SQL_STREAM',
      columns: [
        { name: 'SYMBOL', type: { name: 'VARCHAR', length: 4 } },
        { name: 'SECTOR', type: { name: 'VARCHAR', length: 12 } },
        { name: 'CHANGE', type: { name: 'DOUBLE' } },
        { name: 'PRICE', type: { name: 'DOUBLE' } },
      ],
    });
    const pump = strip(only(statements, 1, 'CreatePump'));
    expect(pump).toMatchObject({ name: 'STREAM_PUMP', target: 'DESTINATION_SQL_STREAM', select: { stream: true, from: { kind: 'stream', name: 'SOURCE_SQL_STREAM_001' } } });
    expect(pump.select.where).toEqual({ kind: 'similarTo', operand: col('SECTOR'), pattern: { kind: 'string', value: '%TECH%' }, negated: false });
  });

  it('parses the tumbling window: GROUP BY a key and STEP over the qualified ROWTIME', () => {
    const select = strip(only(parseSql(TUMBLING), 0, 'Select')).select;
    expect(select.items).toEqual([
      { kind: 'expr', expr: { kind: 'rowtime' } },
      { kind: 'expr', expr: col('TICKER_SYMBOL') },
      { kind: 'expr', expr: call('MIN', [col('PRICE')]), alias: 'PRICE' },
      { kind: 'expr', expr: call('MAX', [col('PRICE')]), alias: 'PRICE' },
    ]);
    expect(select.groupBy).toEqual([
      col('TICKER_SYMBOL'),
      { kind: 'step', operand: { kind: 'rowtime', table: 'SOURCE_SQL_STREAM_001' }, by: { kind: 'interval', text: '60', from: 'SECOND', ms: 60_000 } },
    ]);
  });

  it('parses the tumbling window grouped by event time alongside ROWTIME', () => {
    const statements = parseSql(TUMBLING_EVENT_TIME);
    expect(statements.map((s) => s.kind)).toEqual(['CreateStream', 'CreatePump']);
    const pump = strip(only(statements, 1, 'CreatePump'));
    const floorMinute = { kind: 'timeFloor', fn: 'FLOOR', operand: col('EVENT_TIME'), unit: 'MINUTE' };
    expect(pump.select.items[1]).toEqual({ kind: 'expr', expr: floorMinute });
    expect(pump.select.groupBy).toEqual([
      col('TICKER_SYMBOL'),
      floorMinute,
      { kind: 'step', operand: { kind: 'rowtime', table: 'SOURCE_SQL_STREAM_001' }, by: minute },
    ]);
  });

  it('parses the stagger window example', () => {
    const pump = strip(only(parseSql(STAGGER), 1, 'CreatePump'));
    expect(pump.select.windowedBy).toEqual({ stagger: { partitionBy: [col('TICKER'), col('EVENT_TIME')], rangeMs: 60_000 } });
    expect(pump.select.groupBy).toBeUndefined();
    expect(pump.select.items[2]).toEqual({ kind: 'expr', expr: call('COUNT', [col('TICKER')]), alias: 'TICKER_COUNT' });
  });

  it('parses sliding windows over a named RANGE window', () => {
    const select = strip(only(parseSql(SLIDING_1), 0, 'Select')).select;
    expect(select.items[3]).toEqual({ kind: 'expr', expr: call('AVG', [col('PRICE')], { over: { kind: 'named', name: 'W1' } }), alias: 'AVG_PRICE' });
    expect(select.windows).toEqual([{ name: 'W1', partitionBy: [col('TICKER_SYMBOL')], frame: { kind: 'RANGE', ms: 60_000 } }]);

    const pump = strip(only(parseSql(SLIDING_2), 1, 'CreatePump'));
    expect(pump.select.items[1]).toEqual({
      kind: 'expr',
      alias: 'AVG_PERCENT_CHANGE',
      expr: call('AVG', [{ kind: 'binary', op: '/', left: col('CHANGE'), right: { kind: 'binary', op: '-', left: col('PRICE'), right: col('CHANGE') } }], { over: { kind: 'named', name: 'W1' } }),
    });
    expect(pump.select.windows?.[0]?.frame).toEqual({ kind: 'RANGE', ms: 10_000 });
  });

  it('parses two ROWS windows and an unquoted source stream', () => {
    const pump = strip(only(parseSql(SLIDING_3), 1, 'CreatePump'));
    expect(pump.name).toBe('myPump');
    expect(pump.select.from).toEqual({ kind: 'stream', name: 'SOURCE_SQL_STREAM_001' });
    expect(pump.select.windows).toEqual([
      { name: 'LAST2ROWS', partitionBy: [col('TICKER_SYMBOL')], frame: { kind: 'ROWS', n: 2 } },
      { name: 'LAST10ROWS', partitionBy: [col('TICKER_SYMBOL')], frame: { kind: 'ROWS', n: 10 } },
    ]);
  });

  it('parses the WINDOW clause reference example', () => {
    const statements = parseSql(WINDOW_CLAUSE_1);
    const pump = strip(only(statements, 1, 'CreatePump'));
    expect(pump.select.items.map((i) => (i.kind === 'expr' ? i.alias : '*'))).toEqual([undefined, 'MIN_PRICE', 'MAX_PRICE', 'AVG_PRICE']);
    expect(pump.select.windows).toHaveLength(1);
  });

  it('parses the reference data LEFT JOIN with case-sensitive quoted names', () => {
    const statements = parseSql(REFERENCE_JOIN);
    const stream = only(statements, 0, 'CreateStream');
    expect(stream.columns.map((c) => c.name)).toEqual(['TICKER_SYMBOL', 'Company', 'SECTOR', 'CHANGE', 'PRICE']);
    const pump = strip(only(statements, 1, 'CreatePump'));
    expect(pump.select.items[1]).toEqual({ kind: 'expr', expr: col('Company', 'c') });
    expect(pump.select.joins).toEqual([
      {
        kind: 'LEFT',
        source: { kind: 'stream', name: 'CompanyName', alias: 'c' },
        on: { kind: 'binary', op: '=', left: col('TICKER_SYMBOL', 'SOURCE_SQL_STREAM_001'), right: col('Ticker', 'c') },
      },
    ]);
  });

  it('parses the stream-to-stream join with an inline window', () => {
    const select: Select = strip(only(parseSql(STREAM_JOIN_INLINE), 0, 'Select')).select;
    expect(select.from).toEqual({ kind: 'stream', name: 'ORDERSTREAM', alias: 'O' });
    expect(select.joins).toEqual([
      {
        kind: 'INNER',
        source: { kind: 'stream', name: 'TRADESTREAM', alias: 'T' },
        window: { rangeMs: 60_000 },
        on: { kind: 'binary', op: '=', left: col('ORDERID', 'O'), right: col('ORDERID', 'T') },
      },
    ]);
  });

  it('parses the stream-to-stream join over a named window', () => {
    const select = strip(only(parseSql(STREAM_JOIN_NAMED), 0, 'Select') as SelectStatement).select;
    expect(select.joins[0]).toMatchObject({ kind: 'INNER', source: { kind: 'stream', name: 'TRADESTREAM' }, window: { name: 'T' } });
    expect(select.windows).toEqual([{ name: 'T', partitionBy: [], frame: { kind: 'RANGE', ms: 60_000 } }]);
  });

  it('parses the error-stream example with a parenthesized division', () => {
    const select = strip(only(parseSql(ERROR_STREAM_SELECT), 0, 'Select')).select;
    expect(select.items[3]).toEqual({ kind: 'expr', expr: { kind: 'binary', op: '/', left: col('PRICE'), right: { kind: 'number', value: 0, text: '0' } }, alias: 'PROBLEMCOLUMN' });
  });

  it('reports the missing comma in the SQL Reference window examples, and parses them once it is added', () => {
    let error: unknown;
    try {
      parseSql(WINDOW_EXAMPLES);
    } catch (err) {
      error = err;
    }
    // `count(*) OVER lastHour sum` reads `sum` as an alias; the `(` after it is where it breaks.
    expect(error).toBeInstanceOf(SqlSyntaxError);
    expect(error).toMatchObject({ line: 5, column: 6, detail: 'expected FROM, found "("' });

    const select = strip(only(parseSql(WINDOW_EXAMPLES_FIXED), 0, 'Select')).select;
    expect(select.items[2]).toEqual({ kind: 'expr', expr: call('COUNT', [], { star: true, over: { kind: 'named', name: 'LASTHOUR' } }) });
    expect(select.windows?.map((w) => [w.name, w.frame])).toEqual([
      ['LASTHOUR', { kind: 'RANGE', ms: 3_600_000 }],
      ['LASTTHREE', { kind: 'ROWS', n: 3 }],
      ['LASTZEROROWS', { kind: 'ROWS', n: 0 }],
      ['LASTZEROSECONDS', { kind: 'RANGE', ms: 0 }],
      ['LASTTWOSAMETICKER', { kind: 'ROWS', n: 2 }],
      ['LASTHOURSAMETICKER', { kind: 'RANGE', ms: 3_600_000 }],
    ]);
  });
});
