import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer.js';
import { parseInterval, parseType } from './parse-type.js';
import { TokenCursor } from './token-cursor.js';

const cursor = (sql: string) => new TokenCursor(tokenize(sql));

describe('parseType', () => {
  it('reads lengths for character types and precision and scale for the others', () => {
    expect(parseType(cursor('varchar(64)'))).toEqual({ name: 'VARCHAR', length: 64 });
    expect(parseType(cursor('CHARACTER VARYING(8)'))).toEqual({ name: 'CHARACTER VARYING', length: 8 });
    expect(parseType(cursor('NUMERIC(10)'))).toEqual({ name: 'NUMERIC', precision: 10 });
    expect(parseType(cursor('DECIMAL(4,1)'))).toEqual({ name: 'DECIMAL', precision: 4, scale: 1 });
    expect(parseType(cursor('REAL'))).toEqual({ name: 'REAL' });
  });

  it('rejects unknown types and non-integer sizes', () => {
    expect(() => parseType(cursor('JSON'))).toThrow('unknown data type "JSON"');
    expect(() => parseType(cursor('VARCHAR(1.5)'))).toThrow('column 9: expected an integer, found "1.5"');
  });
});

describe('parseInterval', () => {
  it('reads the qualifier, including field precision, and converts the value', () => {
    expect(parseInterval(cursor("INTERVAL '2 12' DAY(3) TO HOUR"))).toMatchObject({ from: 'DAY', to: 'HOUR', ms: 2 * 86_400_000 + 12 * 3_600_000 });
    expect(parseInterval(cursor("INTERVAL '1-2' YEAR TO MONTH"))).toMatchObject({ from: 'YEAR', to: 'MONTH', months: 14 });
  });

  it('reports a bad value at the string and a missing value at the token found', () => {
    expect(() => parseInterval(cursor("INTERVAL 'x' SECOND"))).toThrow("column 10: invalid INTERVAL literal 'x' for SECOND");
    expect(() => parseInterval(cursor('INTERVAL 5 SECOND'))).toThrow(`column 10: expected a quoted interval value such as '1', found "5"`);
  });
});
