import { describe, expect, it } from 'vitest';
import { SqlRuntimeError } from './errors.js';
import { castFunction, formatTimestamp, parseTimestamp, valueTypeOf } from './values.js';

describe('values', () => {
  it('maps declared SQL types to runtime types', () => {
    expect(valueTypeOf({ name: 'VARCHAR', length: 4 })).toBe('VARCHAR');
    expect(valueTypeOf({ name: 'SMALLINT' })).toBe('INTEGER');
    expect(valueTypeOf({ name: 'REAL' })).toBe('DOUBLE');
    expect(valueTypeOf({ name: 'DECIMAL', precision: 8, scale: 2 })).toBe('DOUBLE');
    expect(valueTypeOf({ name: 'TIMESTAMP' })).toBe('TIMESTAMP');
    expect(valueTypeOf({ name: 'BINARY' })).toBeUndefined();
  });

  it('parses and formats timestamps in UTC, and rejects impossible dates', () => {
    expect(parseTimestamp('2018-08-01 20:17:20')).toBe(Date.UTC(2018, 7, 1, 20, 17, 20));
    expect(parseTimestamp('2018-08-01T20:17:20.25')).toBe(Date.UTC(2018, 7, 1, 20, 17, 20, 250));
    expect(parseTimestamp('2018-08-01')).toBe(Date.UTC(2018, 7, 1));
    expect(parseTimestamp('2018-02-30 00:00:00')).toBeUndefined();
    expect(parseTimestamp('yesterday')).toBeUndefined();
    expect(formatTimestamp(Date.UTC(2018, 7, 1, 20, 17, 20, 5))).toBe('2018-08-01 20:17:20.005');
  });

  it('casts between types and names the failure TypeCoercion', () => {
    expect(castFunction('VARCHAR', { name: 'BIGINT' })?.('-12')).toBe(-12);
    expect(castFunction('DOUBLE', { name: 'SMALLINT' })?.(-3.9)).toBe(-3);
    expect(castFunction('TIMESTAMP', { name: 'DATE' })?.(Date.UTC(2018, 7, 1, 20))).toBe(Date.UTC(2018, 7, 1));
    expect(castFunction('BOOLEAN', { name: 'VARCHAR' })?.(true)).toBe('TRUE');
    expect(castFunction('DOUBLE', { name: 'DECIMAL', precision: 4, scale: 2 })?.(12.345)).toBe(12.35);
    expect(() => castFunction('DOUBLE', { name: 'DECIMAL', precision: 4, scale: 2 })?.(123.4)).toThrow(SqlRuntimeError);
    expect(() => castFunction('BOOLEAN', { name: 'INTEGER' })?.(true)).toThrow(expect.objectContaining({ name: 'TypeCoercion' }));
    expect(() => castFunction('INTEGER', { name: 'TIMESTAMP' })?.(5)).toThrow(expect.objectContaining({ name: 'TypeCoercion' }));
    expect(castFunction('INTEGER', { name: 'BINARY' })).toBeUndefined();
  });
});
