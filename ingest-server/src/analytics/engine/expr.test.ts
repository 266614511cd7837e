import { describe, expect, it } from 'vitest';
import { parseExpression } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import { compileExpr, streamScope } from './expr.js';
import type { Row, Value } from './values.js';

const scope = streamScope('SOURCE_SQL_STREAM_001', [
  { name: 'TICKER', type: 'VARCHAR' },
  { name: 'PRICE', type: 'DOUBLE' },
  { name: 'QTY', type: 'INTEGER' },
  { name: 'Mixed', type: 'VARCHAR' },
  { name: 'EVENT_TIME', type: 'TIMESTAMP' },
  { name: 'FLAG', type: 'BOOLEAN' },
], 'S');

const T0 = Date.UTC(2018, 7, 1, 20, 17, 20, 500);
const row: Row = { rowtime: T0, values: ['AMZN', 10.5, 7, 'exact', Date.UTC(2018, 7, 1, 20, 3, 45), null] };
const nullRow: Row = { rowtime: T0, values: [null, null, null, null, null, null] };

function run(sql: string, r: Row = row): Value {
  return compileExpr(parseExpression(sql), scope).fn(r);
}

function runtimeError(sql: string, r: Row = row): SqlRuntimeError {
  const fn = compileExpr(parseExpression(sql), scope).fn;
  try {
    fn(r);
  } catch (err) {
    if (err instanceof SqlRuntimeError) return err;
    throw err;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('compileExpr', () => {
  it('resolves unquoted, quoted and qualified columns and ROWTIME', () => {
    expect(run('ticker')).toBe('AMZN');
    expect(run('"Mixed"')).toBe('exact');
    expect(run('S.price')).toBe(10.5);
    expect(run('"SOURCE_SQL_STREAM_001".qty')).toBe(7);
    expect(run('"SOURCE_SQL_STREAM_001".ROWTIME')).toBe(T0);
  });

  it('rejects unknown columns, wrong case of quoted names and unknown qualifiers with a position', () => {
    expect(() => run('nope')).toThrow(SqlCompileError);
    expect(() => run('"ticker"')).toThrow(/column "ticker" not found/);
    expect(() => run('X.ROWTIME')).toThrow(/unknown stream "X"/);
    expect(() => run('1 +\n  nope')).toThrow(expect.objectContaining({ line: 2, column: 3 }));
  });

  it('does integer and double arithmetic with SQL NULL propagation', () => {
    expect(run('qty + 1')).toBe(8);
    expect(run('qty / 2')).toBe(3);
    expect(run('-qty / 2')).toBe(-3);
    expect(run('qty % 4')).toBe(3);
    expect(run('qty / 2.0')).toBe(3.5);
    expect(run('price * 2')).toBe(21);
    expect(run('qty + NULL')).toBeNull();
    expect(run('qty * 2', nullRow)).toBeNull();
  });

  it('throws DivisionByZero for a zero divisor, integer or not, and not for a NULL one', () => {
    expect(runtimeError('qty / 0').name).toBe('DivisionByZero');
    expect(runtimeError('price / 0').name).toBe('DivisionByZero');
    expect(runtimeError('qty % 0').name).toBe('DivisionByZero');
    expect(run('qty / 0', nullRow)).toBeNull();
  });

  it('compares values and implements three-valued AND, OR and NOT', () => {
    expect(run('price > 10 AND ticker = \'AMZN\'')).toBe(true);
    expect(run('qty <> 7')).toBe(false);
    expect(run('flag AND FALSE')).toBe(false);
    expect(run('flag AND TRUE')).toBeNull();
    expect(run('flag OR TRUE')).toBe(true);
    expect(run('flag OR FALSE')).toBeNull();
    expect(run('NOT flag')).toBeNull();
    expect(run('NOT (qty = 7)')).toBe(false);
    expect(run('ticker < \'B\'')).toBe(true);
    expect(() => run('ticker = 1')).toThrow(/cannot compare VARCHAR with INTEGER/);
  });

  it('evaluates IS NULL, BETWEEN, IN, LIKE and SIMILAR TO', () => {
    expect(run('flag IS NULL')).toBe(true);
    expect(run('ticker IS NOT NULL')).toBe(true);
    expect(run('qty BETWEEN 1 AND 7')).toBe(true);
    expect(run('qty NOT BETWEEN 1 AND 7')).toBe(false);
    expect(run('qty IN (1, 7)')).toBe(true);
    expect(run('qty IN (1, NULL)')).toBeNull();
    expect(run('qty NOT IN (1, 2)')).toBe(true);
    expect(run("ticker LIKE 'AM_%'")).toBe(true);
    expect(run("ticker LIKE 'am%'")).toBe(false);
    expect(run("'50%' LIKE '50!%' ESCAPE '!'")).toBe(true);
    expect(run("'a.b' LIKE 'a.b'")).toBe(true);
    expect(run("'axb' LIKE 'a.b'")).toBe(false);
    expect(run("'TECHNOLOGY' SIMILAR TO '%TECH%'")).toBe(true);
    expect(run("'abc' SIMILAR TO '(a|x)b+c'")).toBe(true);
    expect(run("ticker LIKE 'A%'", nullRow)).toBeNull();
  });

  it('evaluates searched and simple CASE', () => {
    expect(run("CASE WHEN qty > 5 THEN 'big' WHEN qty > 0 THEN 'small' END")).toBe('big');
    expect(run("CASE WHEN qty > 50 THEN 'big' END")).toBeNull();
    expect(run('CASE qty WHEN 1 THEN 1 WHEN 7 THEN 2.5 ELSE 0 END')).toBe(2.5);
    expect(run("CASE WHEN flag THEN 'yes' ELSE 'unknown' END")).toBe('unknown');
  });

  it('casts with CAST semantics and reports TypeCoercion', () => {
    expect(run("CAST('42' AS INTEGER)")).toBe(42);
    expect(run('CAST(price AS INTEGER)')).toBe(10);
    expect(run("CAST(' 1.25 ' AS DOUBLE)")).toBe(1.25);
    expect(run('CAST(qty AS VARCHAR(10))')).toBe('7');
    expect(run("CAST('abcdef' AS VARCHAR(3))")).toBe('abc');
    expect(run("CAST('ab' AS CHAR(4))")).toBe('ab  ');
    expect(run('CAST(1.005 AS DECIMAL(5,2))')).toBeCloseTo(1.0, 5);
    expect(run("CAST('true' AS BOOLEAN)")).toBe(true);
    expect(run("CAST('2018-08-01 20:17:20' AS TIMESTAMP)")).toBe(Date.UTC(2018, 7, 1, 20, 17, 20));
    expect(run('CAST(ROWTIME AS VARCHAR(30))')).toBe('2018-08-01 20:17:20.500');
    expect(run('CAST(NULL AS INTEGER)')).toBeNull();
    expect(runtimeError("CAST('abc' AS INTEGER)").name).toBe('TypeCoercion');
    expect(runtimeError('CAST(300 AS TINYINT)').name).toBe('TypeCoercion');
    expect(runtimeError("CAST('2018-02-30' AS TIMESTAMP)").name).toBe('TypeCoercion');
    expect(runtimeError("CAST('yes' AS BOOLEAN)").name).toBe('TypeCoercion');
  });

  it('implements the string functions and ||', () => {
    expect(run("ticker || '-' || qty")).toBe('AMZN-7');
    expect(run("ticker || NULL")).toBeNull();
    expect(run('SUBSTRING(ticker FROM 2 FOR 2)')).toBe('MZ');
    expect(run('SUBSTRING(ticker, 3)')).toBe('ZN');
    expect(run('SUBSTRING(ticker FROM 0 FOR 2)')).toBe('A');
    expect(run('LOWER(ticker)')).toBe('amzn');
    expect(run("UPPER('abc')")).toBe('ABC');
    expect(run("TRIM('  x  ')")).toBe('x');
    expect(run("TRIM(LEADING 'x' FROM 'xxaxx')")).toBe('axx');
    expect(run("TRIM(TRAILING 'x' FROM 'xxaxx')")).toBe('xxa');
    expect(run('CHAR_LENGTH(ticker)')).toBe(4);
    expect(run("POSITION('ZN' IN ticker)")).toBe(3);
    expect(run("POSITION('Q' IN ticker)")).toBe(0);
    expect(runtimeError('SUBSTRING(ticker FROM 1 FOR -1)').name).toBe('InvalidArgument');
  });

  it('floors and ceils numbers and timestamps (UTC), and STEPs from the epoch', () => {
    expect(run('FLOOR(price)')).toBe(10);
    expect(run('CEIL(price)')).toBe(11);
    expect(run('FLOOR(ROWTIME TO MINUTE)')).toBe(Date.UTC(2018, 7, 1, 20, 17));
    expect(run('FLOOR(ROWTIME TO SECOND)')).toBe(Date.UTC(2018, 7, 1, 20, 17, 20));
    expect(run('FLOOR(ROWTIME TO HOUR)')).toBe(Date.UTC(2018, 7, 1, 20));
    expect(run('FLOOR(ROWTIME TO DAY)')).toBe(Date.UTC(2018, 7, 1));
    expect(run('CEIL(ROWTIME TO MINUTE)')).toBe(Date.UTC(2018, 7, 1, 20, 18));
    expect(run('CEIL(FLOOR(ROWTIME TO MINUTE) TO MINUTE)')).toBe(Date.UTC(2018, 7, 1, 20, 17));
    expect(run('FLOOR(EVENT_TIME TO MONTH)')).toBe(Date.UTC(2018, 7, 1));
    expect(run("STEP(ROWTIME BY INTERVAL '10' SECOND)")).toBe(Date.UTC(2018, 7, 1, 20, 17, 20));
    expect(run("STEP(ROWTIME BY INTERVAL '7' MINUTE)")).toBe(Math.floor(T0 / 420_000) * 420_000);
    expect(run('STEP(23 BY 5)')).toBe(20);
    expect(run("STEP(EVENT_TIME BY INTERVAL '1' HOUR)", nullRow)).toBeNull();
    expect(() => run('STEP(ROWTIME BY 5)')).toThrow(SqlCompileError);
  });

  it('adds and subtracts intervals on timestamps', () => {
    expect(run("ROWTIME - INTERVAL '1' MINUTE")).toBe(T0 - 60_000);
    expect(run("INTERVAL '1:30' MINUTE TO SECOND + ROWTIME")).toBe(T0 + 90_000);
    expect(run("TIMESTAMP '2018-08-01 20:17:20' + INTERVAL '2' DAY")).toBe(Date.UTC(2018, 7, 3, 20, 17, 20));
    expect(run("ROWTIME > EVENT_TIME + INTERVAL '10' MINUTE")).toBe(true);
    expect(run('ROWTIME - EVENT_TIME')).toBe(T0 - Date.UTC(2018, 7, 1, 20, 3, 45));
    expect(() => run("ROWTIME + 1")).toThrow(/operator \+ does not apply to TIMESTAMP and INTEGER/);
  });

  it('reports unknown functions and misplaced aggregates at their position', () => {
    expect(() => run('qty +\n   FROB(qty)')).toThrow(expect.objectContaining({ name: 'SqlCompileError', line: 2, column: 4, detail: 'unknown function FROB' }));
    expect(() => run('SUM(qty)')).toThrow(/aggregate SUM is not allowed here/);
    expect(() => run('UPPER(qty)')).toThrow(/UPPER does not take INTEGER/);
    expect(() => run('CURRENT_TIMESTAMP')).toThrow(SqlCompileError);
  });

  it('lets an operator substitute nodes, as aggregates and GROUP BY keys need', () => {
    const compiled = compileExpr(parseExpression('COUNT(*) + 1'), scope, {
      substitute: (e) => (e.kind === 'call' && e.name === 'COUNT' ? { type: 'INTEGER', fn: () => 41 } : undefined),
    });
    expect(compiled.type).toBe('INTEGER');
    expect(compiled.fn(row)).toBe(42);
  });
});
