import { describe, expect, it } from 'vitest';
import type { Statement } from './ast.js';
import { SqlSyntaxError } from './errors.js';
import { parseSql } from './parser.js';

/** Statements without positions, so shapes can be compared with toEqual. */
function shape(sql: string): Statement[] {
  return JSON.parse(JSON.stringify(parseSql(sql), (key, v: unknown) => (key === 'pos' ? undefined : v))) as Statement[];
}

function selectOf(sql: string) {
  const [statement] = shape(sql);
  if (statement?.kind !== 'Select') throw new Error(`not a SELECT: ${sql}`);
  return statement.select;
}

function errorOf(sql: string): SqlSyntaxError {
  try {
    parseSql(sql);
  } catch (err) {
    if (err instanceof SqlSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected a syntax error for ${sql}`);
}

const col = (name: string, table?: string) => (table === undefined ? { kind: 'column', name } : { kind: 'column', table, name });

describe('parseSql: statements', () => {
  it('returns no statements for empty input, comments and stray semicolons', () => {
    expect(parseSql('')).toEqual([]);
    expect(parseSql('-- nothing\n/* at all */ ;; ;')).toEqual([]);
  });

  it('parses CREATE STREAM with sized, two-word and quoted column types', () => {
    expect(shape('CREATE STREAM "Out" (a DECIMAL(8, 2), "b" DOUBLE PRECISION, c CHAR(1), d TIMESTAMP, e BOOLEAN)')).toEqual([
      {
        kind: 'CreateStream', orReplace: false, name: 'Out',
        columns: [
          { name: 'A', type: { name: 'DECIMAL', precision: 8, scale: 2 } },
          { name: 'b', type: { name: 'DOUBLE PRECISION' } },
          { name: 'C', type: { name: 'CHAR', length: 1 } },
          { name: 'D', type: { name: 'TIMESTAMP' } },
          { name: 'E', type: { name: 'BOOLEAN' } },
        ],
      },
    ]);
  });

  it('parses chained pumps, with and without an INSERT column list', () => {
    const statements = shape(`
      CREATE OR REPLACE STREAM "MID" (k VARCHAR(8), v INTEGER);
      CREATE OR REPLACE STREAM "OUT" (k VARCHAR(8), total INTEGER);
      CREATE OR REPLACE PUMP "P1" AS INSERT INTO "MID" (k, v) SELECT STREAM k, v FROM "SOURCE_SQL_STREAM_001";
      CREATE PUMP "P2" AS INSERT INTO "OUT" SELECT STREAM k, SUM(v) AS total FROM "MID"
        GROUP BY k, STEP("MID".ROWTIME BY INTERVAL '10' SECOND);
    `);
    expect(statements.map((s) => s.kind)).toEqual(['CreateStream', 'CreateStream', 'CreatePump', 'CreatePump']);
    expect(statements[2]).toMatchObject({ kind: 'CreatePump', orReplace: true, name: 'P1', target: 'MID', columns: ['K', 'V'], select: { from: { name: 'SOURCE_SQL_STREAM_001' } } });
    expect(statements[3]).toMatchObject({ kind: 'CreatePump', orReplace: false, name: 'P2', target: 'OUT', select: { from: { name: 'MID' } } });
    expect(statements[3]).not.toHaveProperty('columns');
  });

  it('records statement positions', () => {
    const [first, second] = parseSql('SELECT a FROM s;\n  SELECT b FROM s');
    expect(first?.pos).toEqual({ line: 1, column: 1 });
    expect(second?.pos).toEqual({ line: 2, column: 3 });
  });
});

describe('parseSql: SELECT clauses', () => {
  it('parses a plain SELECT for ad-hoc queries, with every clause', () => {
    expect(selectOf("SELECT DISTINCT s.*, price * 2 doubled FROM \"Src\" AS s WHERE price > 10 GROUP BY k HAVING COUNT(*) > 1 ORDER BY k DESC, price")).toEqual({
      stream: false,
      distinct: true,
      items: [
        { kind: 'star', table: 'S' },
        { kind: 'expr', expr: { kind: 'binary', op: '*', left: col('PRICE'), right: { kind: 'number', value: 2, text: '2' } }, alias: 'DOUBLED' },
      ],
      from: { kind: 'stream', name: 'Src', alias: 'S' },
      joins: [],
      where: { kind: 'binary', op: '>', left: col('PRICE'), right: { kind: 'number', value: 10, text: '10' } },
      groupBy: [col('K')],
      having: { kind: 'binary', op: '>', left: { kind: 'call', name: 'COUNT', args: [], distinct: false, star: true }, right: { kind: 'number', value: 1, text: '1' } },
      orderBy: [{ expr: col('K'), direction: 'DESC' }, { expr: col('PRICE'), direction: 'ASC' }],
    });
  });

  it('parses SELECT STREAM * and a subquery in FROM', () => {
    const select = selectOf(`SELECT STREAM ticker_symbol, avg_change
FROM (
    SELECT STREAM
        ticker_symbol,
        AVG(change) OVER W1 as avg_change
    FROM "SOURCE_SQL_STREAM_001"
    WINDOW W1 AS (PARTITION BY ticker_symbol RANGE INTERVAL '10' SECOND PRECEDING)
)
WHERE ABS(avg_change) > 1;`);
    expect(select.from).toMatchObject({ kind: 'subquery', select: { stream: true, windows: [{ name: 'W1', frame: { kind: 'RANGE', ms: 10_000 } }] } });
    expect(select.where).toMatchObject({ op: '>', left: { kind: 'call', name: 'ABS', args: [col('AVG_CHANGE')] } });
    expect(selectOf('SELECT STREAM * FROM s').items).toEqual([{ kind: 'star' }]);
  });

  it('parses LEFT OUTER JOIN, INNER JOIN and a ROWS join window placed before or after the alias', () => {
    const select = selectOf(`SELECT STREAM * FROM a
      LEFT OUTER JOIN "Ref" r ON a.k = r.k
      INNER JOIN b AS x OVER (ROWS 10 PRECEDING) ON a.k = x.k
      JOIN c OVER (RANGE INTERVAL '2' HOUR PRECEDING) ON a.k = c.k`);
    expect(select.joins).toEqual([
      { kind: 'LEFT', source: { kind: 'stream', name: 'Ref', alias: 'R' }, on: { kind: 'binary', op: '=', left: col('K', 'A'), right: col('K', 'R') } },
      { kind: 'INNER', source: { kind: 'stream', name: 'B', alias: 'X' }, window: { rows: 10 }, on: { kind: 'binary', op: '=', left: col('K', 'A'), right: col('K', 'X') } },
      { kind: 'INNER', source: { kind: 'stream', name: 'C' }, window: { rangeMs: 7_200_000 }, on: { kind: 'binary', op: '=', left: col('K', 'A'), right: col('K', 'C') } },
    ]);
  });

  it('parses WINDOWED BY STAGGER after WHERE', () => {
    const select = selectOf("SELECT STREAM k, COUNT(*) FROM s WHERE v > 0 WINDOWED BY STAGGER(PARTITION BY k, FLOOR(t TO MINUTE) RANGE INTERVAL '90' SECOND)");
    expect(select.windowedBy).toEqual({ stagger: { partitionBy: [col('K'), { kind: 'timeFloor', fn: 'FLOOR', operand: col('T'), unit: 'MINUTE' }], rangeMs: 90_000 } });
    expect(select.where).toBeDefined();
  });
});

describe('parseSql: syntax errors carry a line and column', () => {
  it('reports an unterminated string at its opening quote', () => {
    const err = errorOf("SELECT STREAM a\nFROM s\nWHERE b = 'oops");
    expect(err).toMatchObject({ line: 3, column: 11, detail: 'unterminated string literal' });
    expect(err.message).toBe('Syntax error at line 3, column 11: unterminated string literal');
  });

  it('reports a missing FROM at the token found instead', () => {
    const err = errorOf('CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT"\n  SELECT STREAM a, COUNT(*)\n    GROUP BY a');
    expect(err.message).toBe('Syntax error at line 3, column 5: expected FROM, found "GROUP"');
  });

  it('reports a bad INTERVAL unit at the unit', () => {
    expect(errorOf("SELECT STREAM a FROM s\nGROUP BY a, STEP(s.ROWTIME BY INTERVAL '1' FORTNIGHT)")).toMatchObject({
      line: 2, column: 44, detail: 'expected a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND), found "FORTNIGHT"',
    });
  });

  it('reports a month-based RANGE window, which has no fixed length', () => {
    expect(errorOf("SELECT STREAM AVG(x) OVER (RANGE INTERVAL '1' MONTH PRECEDING) FROM s")).toMatchObject({
      line: 1, column: 34, detail: 'a window RANGE needs a DAY, HOUR, MINUTE or SECOND interval',
    });
  });

  it('reports an unknown statement', () => {
    expect(errorOf('CREATE STREAM a (x INT);\nDROP STREAM a;')).toMatchObject({ line: 2, column: 1, detail: 'expected CREATE or SELECT, found "DROP"' });
    expect(errorOf('CREATE TABLE t (x INT)')).toMatchObject({ line: 1, column: 8, detail: 'expected STREAM or PUMP, found "TABLE"' });
  });

  it('reports trailing garbage after a statement', () => {
    expect(errorOf('SELECT STREAM a FROM s t garbage')).toMatchObject({ line: 1, column: 26, detail: 'expected ";" or end of input, found "garbage"' });
    expect(errorOf('SELECT STREAM a FROM s WHERE a > 1 )')).toMatchObject({ line: 1, column: 36, detail: 'expected ";" or end of input, found ")"' });
  });

  it('reports an unclosed column list at the end of input', () => {
    expect(errorOf('CREATE STREAM s (a INTEGER,\n b VARCHAR(4)')).toMatchObject({ line: 2, column: 14, detail: 'expected ")", found end of input' });
  });

  it('reports an unknown column type', () => {
    expect(errorOf('CREATE STREAM s (a TEXT)')).toMatchObject({ line: 1, column: 20, detail: 'unknown data type "TEXT"' });
  });

  it('reports join kinds and UNION that the dialect front end does not support yet', () => {
    expect(errorOf('SELECT STREAM * FROM a RIGHT JOIN b ON a.k = b.k')).toMatchObject({ column: 24, detail: 'RIGHT JOIN is not supported; use JOIN or LEFT JOIN' });
    expect(errorOf('SELECT STREAM * FROM a UNION ALL SELECT STREAM * FROM b')).toMatchObject({ column: 24, detail: 'UNION is not supported yet' });
  });

  it('reports a reserved word used as a name', () => {
    expect(errorOf('CREATE STREAM select (a INTEGER)')).toMatchObject({ column: 15, detail: 'expected a stream name, found "select"' });
  });
});
