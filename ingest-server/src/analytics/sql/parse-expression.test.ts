import { describe, expect, it } from 'vitest';
import type { Expr } from './ast.js';
import { SqlSyntaxError } from './errors.js';
import { parseExpression } from './parser.js';

/** The expression without positions, so shapes can be compared with toEqual. */
function shape(sql: string): unknown {
  return JSON.parse(JSON.stringify(parseExpression(sql), (key, value: unknown) => (key === 'pos' ? undefined : value)));
}

const col = (name: string, table?: string) => (table === undefined ? { kind: 'column', name } : { kind: 'column', table, name });
const num = (value: number) => ({ kind: 'number', value, text: String(value) });
const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });

function errorOf(sql: string): SqlSyntaxError {
  try {
    parseExpression(sql);
  } catch (err) {
    if (err instanceof SqlSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected a syntax error for ${sql}`);
}

describe('parseExpression: literals and names', () => {
  it('parses number, string, boolean and NULL literals', () => {
    expect(shape('1.5e2')).toEqual({ kind: 'number', value: 150, text: '1.5e2' });
    expect(shape("'it''s'")).toEqual({ kind: 'string', value: "it's" });
    expect(shape('TRUE')).toEqual({ kind: 'boolean', value: true });
    expect(shape('null')).toEqual({ kind: 'null' });
  });

  it('folds a negated number into the literal', () => {
    expect(shape('-3')).toEqual({ kind: 'number', value: -3, text: '-3' });
    expect(shape('-x')).toEqual({ kind: 'unary', op: '-', operand: col('X') });
  });

  it('parses TIMESTAMP literals and INTERVAL literals converted to milliseconds', () => {
    expect(shape("TIMESTAMP '2018-08-01 20:17:20'")).toEqual({ kind: 'datetime', type: 'TIMESTAMP', text: '2018-08-01 20:17:20' });
    expect(shape("INTERVAL '60' SECOND")).toEqual({ kind: 'interval', text: '60', from: 'SECOND', ms: 60_000 });
    expect(shape("INTERVAL '1:30' MINUTE TO SECOND")).toEqual({ kind: 'interval', text: '1:30', from: 'MINUTE', to: 'SECOND', ms: 90_000 });
    expect(shape("INTERVAL '3' DAY(2)")).toMatchObject({ from: 'DAY', ms: 259_200_000 });
    expect(shape("INTERVAL -'2' HOUR")).toMatchObject({ ms: -7_200_000 });
    expect(shape("INTERVAL '14' MONTH")).toEqual({ kind: 'interval', text: '14', from: 'MONTH', months: 14 });
  });

  it('normalizes unquoted names to upper case and keeps quoted names exact', () => {
    expect(shape('ticker_symbol')).toEqual(col('TICKER_SYMBOL'));
    expect(shape('"c"."Company"')).toEqual(col('Company', 'c'));
    expect(shape('s.price')).toEqual(col('PRICE', 'S'));
  });

  it('recognizes ROWTIME, bare or qualified', () => {
    expect(shape('ROWTIME')).toEqual({ kind: 'rowtime' });
    expect(shape('"SOURCE_SQL_STREAM_001".ROWTIME')).toEqual({ kind: 'rowtime', table: 'SOURCE_SQL_STREAM_001' });
  });

  it('parses CURRENT_TIMESTAMP without parentheses', () => {
    expect(shape('CURRENT_TIMESTAMP')).toEqual({ kind: 'currentTime', name: 'CURRENT_TIMESTAMP' });
  });
});

describe('parseExpression: precedence', () => {
  it('binds * over + and + over ||', () => {
    expect(shape('a || b + c * d')).toEqual(bin('||', col('A'), bin('+', col('B'), bin('*', col('C'), col('D')))));
  });

  it('is left-associative for + - and * / %', () => {
    expect(shape('a - b - c')).toEqual(bin('-', bin('-', col('A'), col('B')), col('C')));
    expect(shape('a / b % c')).toEqual(bin('%', bin('/', col('A'), col('B')), col('C')));
  });

  it('binds comparison over NOT, NOT over AND, AND over OR', () => {
    expect(shape('NOT a = 1 AND b OR c')).toEqual(
      bin('OR', bin('AND', { kind: 'unary', op: 'NOT', operand: bin('=', col('A'), num(1)) }, col('B')), col('C')),
    );
  });

  it('binds || over comparison and unary minus over *', () => {
    expect(shape("a || 'x' = b")).toEqual(bin('=', bin('||', col('A'), { kind: 'string', value: 'x' }), col('B')));
    expect(shape('-a * b')).toEqual(bin('*', { kind: 'unary', op: '-', operand: col('A') }, col('B')));
  });

  it('normalizes != to <> and honours parentheses', () => {
    expect(shape('(a + b) * c != 0')).toEqual(bin('<>', bin('*', bin('+', col('A'), col('B')), col('C')), num(0)));
  });

  it('parses IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN and [NOT] LIKE', () => {
    expect(shape('a IS NOT NULL')).toEqual({ kind: 'isNull', operand: col('A'), negated: true });
    expect(shape('a BETWEEN 1 AND 2 AND b')).toEqual(
      bin('AND', { kind: 'between', operand: col('A'), low: num(1), high: num(2), negated: false }, col('B')),
    );
    expect(shape("a NOT IN ('x', 'y')")).toEqual({ kind: 'in', operand: col('A'), list: [{ kind: 'string', value: 'x' }, { kind: 'string', value: 'y' }], negated: true });
    expect(shape("a LIKE 'A%' ESCAPE '!'")).toEqual({
      kind: 'like', operand: col('A'), pattern: { kind: 'string', value: 'A%' }, escape: { kind: 'string', value: '!' }, negated: false,
    });
  });

  it('evaluates ROWTIME arithmetic with intervals as ordinary binary operators', () => {
    expect(shape("ROWTIME - INTERVAL '1' MINUTE")).toEqual(bin('-', { kind: 'rowtime' }, { kind: 'interval', text: '1', from: 'MINUTE', ms: 60_000 }));
  });
});

describe('parseExpression: special forms', () => {
  it('parses simple and searched CASE', () => {
    expect(shape("CASE a WHEN 1 THEN 'one' ELSE 'many' END")).toEqual({
      kind: 'case', operand: col('A'), whens: [{ when: num(1), then: { kind: 'string', value: 'one' } }], else: { kind: 'string', value: 'many' },
    });
    expect(shape('CASE WHEN a > 0 THEN 1 WHEN a < 0 THEN -1 END')).toEqual({
      kind: 'case', whens: [{ when: bin('>', col('A'), num(0)), then: num(1) }, { when: bin('<', col('A'), num(0)), then: num(-1) }],
    });
  });

  it('parses CAST with sized types', () => {
    expect(shape('CAST(v AS DOUBLE)')).toEqual({ kind: 'cast', operand: col('V'), type: { name: 'DOUBLE' } });
    expect(shape('CAST(v AS VARCHAR(16))')).toMatchObject({ type: { name: 'VARCHAR', length: 16 } });
    expect(shape('CAST(v AS DECIMAL(8, 2))')).toMatchObject({ type: { name: 'DECIMAL', precision: 8, scale: 2 } });
  });

  it('parses aggregates: COUNT(*), COUNT(DISTINCT x), SUM, AVG, MIN, MAX', () => {
    expect(shape('COUNT(*)')).toEqual({ kind: 'call', name: 'COUNT', args: [], distinct: false, star: true });
    expect(shape('count(DISTINCT ticker)')).toEqual({ kind: 'call', name: 'COUNT', args: [col('TICKER')], distinct: true, star: false });
    for (const fn of ['SUM', 'AVG', 'MIN', 'MAX']) {
      expect(shape(`${fn}(price)`)).toEqual({ kind: 'call', name: fn, args: [col('PRICE')], distinct: false, star: false });
    }
  });

  it('parses windowed aggregates over a named or an inline window', () => {
    expect(shape('AVG(price) OVER W1')).toMatchObject({ name: 'AVG', over: { kind: 'named', name: 'W1' } });
    expect(shape("AVG(price) OVER (PARTITION BY ticker_symbol RANGE INTERVAL '1' HOUR PRECEDING)")).toMatchObject({
      over: { kind: 'inline', spec: { partitionBy: [col('TICKER_SYMBOL')], frame: { kind: 'RANGE', ms: 3_600_000 } } },
    });
    expect(shape('SUM(x) OVER (ROWS 3 PRECEDING)')).toMatchObject({ over: { kind: 'inline', spec: { partitionBy: [], frame: { kind: 'ROWS', n: 3 } } } });
  });

  it('parses FLOOR and CEIL to a time unit, and plain FLOOR as a call', () => {
    expect(shape('FLOOR(EVENT_TIME TO MINUTE)')).toEqual({ kind: 'timeFloor', fn: 'FLOOR', operand: col('EVENT_TIME'), unit: 'MINUTE' });
    expect(shape('CEIL(ts TO HOUR)')).toEqual({ kind: 'timeFloor', fn: 'CEIL', operand: col('TS'), unit: 'HOUR' });
    expect(shape('FLOOR(x / 2)')).toEqual({ kind: 'call', name: 'FLOOR', args: [bin('/', col('X'), num(2))], distinct: false, star: false });
  });

  it('leaves a coarser TO unit after an INTERVAL to the enclosing FLOOR', () => {
    expect(shape("FLOOR(ts - INTERVAL '1' MINUTE TO HOUR)")).toEqual({
      kind: 'timeFloor', fn: 'FLOOR', unit: 'HOUR', operand: bin('-', col('TS'), { kind: 'interval', text: '1', from: 'MINUTE', ms: 60_000 }),
    });
  });

  it('parses STEP by an interval or an integer', () => {
    expect(shape("STEP(ROWTIME BY INTERVAL '60' SECOND)")).toEqual({
      kind: 'step', operand: { kind: 'rowtime' }, by: { kind: 'interval', text: '60', from: 'SECOND', ms: 60_000 },
    });
    expect(shape('STEP(23 BY 5)')).toEqual({ kind: 'step', operand: num(23), by: num(5) });
  });

  it('parses both SUBSTRING forms', () => {
    const expected = { kind: 'substring', operand: col('S'), start: num(2), length: num(3) };
    expect(shape('SUBSTRING(s FROM 2 FOR 3)')).toEqual(expected);
    expect(shape('SUBSTRING(s, 2, 3)')).toEqual(expected);
    expect(shape('SUBSTRING(s FROM 2)')).toEqual({ kind: 'substring', operand: col('S'), start: num(2) });
  });

  it('parses TRIM in all its forms', () => {
    expect(shape('TRIM(s)')).toEqual({ kind: 'trim', mode: 'BOTH', operand: col('S') });
    expect(shape("TRIM(LEADING '0' FROM s)")).toEqual({ kind: 'trim', mode: 'LEADING', chars: { kind: 'string', value: '0' }, operand: col('S') });
    expect(shape('TRIM(TRAILING FROM s)')).toEqual({ kind: 'trim', mode: 'TRAILING', operand: col('S') });
    expect(shape("TRIM('x' FROM s)")).toEqual({ kind: 'trim', mode: 'BOTH', chars: { kind: 'string', value: 'x' }, operand: col('S') });
  });

  it('parses POSITION, UPPER, LOWER, CHAR_LENGTH and unknown functions as calls', () => {
    expect(shape("POSITION('a' IN s)")).toEqual({ kind: 'position', needle: { kind: 'string', value: 'a' }, haystack: col('S') });
    expect(shape('UPPER(LOWER(CHAR_LENGTH(s)))')).toMatchObject({ name: 'UPPER', args: [{ name: 'LOWER', args: [{ name: 'CHAR_LENGTH' }] }] });
    expect(shape('my_udf(1, 2)')).toEqual({ kind: 'call', name: 'MY_UDF', args: [num(1), num(2)], distinct: false, star: false });
  });

  it('records the position of every node', () => {
    const expr: Expr = parseExpression('a +\n  b * 2');
    expect(expr).toMatchObject({ pos: { line: 1, column: 1 }, right: { pos: { line: 2, column: 3 }, right: { pos: { line: 2, column: 7 } } } });
  });
});

describe('parseExpression: errors', () => {
  it('rejects an unknown INTERVAL unit at the unit', () => {
    expect(errorOf("ROWTIME + INTERVAL '1' WEEK")).toMatchObject({
      line: 1, column: 24, detail: 'expected a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND), found "WEEK"',
    });
  });

  it('rejects a malformed INTERVAL value at the value', () => {
    expect(errorOf("INTERVAL '1:99' MINUTE TO SECOND")).toMatchObject({ line: 1, column: 10, detail: "invalid INTERVAL literal '1:99' for MINUTE TO SECOND" });
  });

  it('rejects an unknown data type, a missing THEN and a dangling operator', () => {
    expect(errorOf('CAST(x AS STRING)')).toMatchObject({ column: 11, detail: 'unknown data type "STRING"' });
    expect(errorOf('CASE WHEN a 1 END')).toMatchObject({ column: 13, detail: 'expected THEN, found "1"' });
    expect(errorOf('a +')).toMatchObject({ column: 4, detail: 'expected an expression, found end of input' });
    expect(errorOf('a b')).toMatchObject({ column: 3, detail: 'expected end of expression, found "b"' });
  });

  it('rejects a reserved word where a name is expected', () => {
    expect(errorOf('1 + FROM')).toMatchObject({ column: 5, detail: 'expected an expression, found "FROM"' });
  });
});
