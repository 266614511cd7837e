import { describe, expect, it } from 'vitest';
import { intervalValue } from './interval.js';

describe('intervalValue', () => {
  it('converts single-unit day-time intervals to milliseconds', () => {
    expect(intervalValue('60', 'SECOND')).toEqual({ ms: 60_000 });
    expect(intervalValue('1.5', 'SECOND')).toEqual({ ms: 1_500 });
    expect(intervalValue('1', 'MINUTE')).toEqual({ ms: 60_000 });
    expect(intervalValue('2', 'HOUR')).toEqual({ ms: 7_200_000 });
    expect(intervalValue('1', 'DAY')).toEqual({ ms: 86_400_000 });
  });

  it('converts multi-field intervals', () => {
    expect(intervalValue('1:30', 'MINUTE', 'SECOND')).toEqual({ ms: 90_000 });
    expect(intervalValue('2 03:04:05', 'DAY', 'SECOND')).toEqual({ ms: 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000 });
    expect(intervalValue('-1:00', 'HOUR', 'MINUTE')).toEqual({ ms: -3_600_000 });
  });

  it('keeps year-month intervals in months, since a month has no fixed length', () => {
    expect(intervalValue('2', 'MONTH')).toEqual({ months: 2 });
    expect(intervalValue('1-6', 'YEAR', 'MONTH')).toEqual({ months: 18 });
  });

  it('rejects malformed values and qualifiers', () => {
    expect(intervalValue('abc', 'SECOND')).toEqual({ error: "invalid INTERVAL literal 'abc' for SECOND" });
    expect(intervalValue('1.5', 'MINUTE')).toHaveProperty('error');
    expect(intervalValue('1:75', 'MINUTE', 'SECOND')).toHaveProperty('error');
    expect(intervalValue('1', 'SECOND', 'MINUTE')).toEqual({ error: 'invalid interval qualifier SECOND TO MINUTE' });
    expect(intervalValue('1', 'DAY', 'MONTH')).toHaveProperty('error');
  });
});
