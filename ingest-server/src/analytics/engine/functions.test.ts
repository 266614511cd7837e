import { describe, expect, it } from 'vitest';
import { ceilTimestamp, floorTimestamp, stepFloor } from './functions.js';

describe('time functions', () => {
  it('floors and ceils to calendar months and years in UTC', () => {
    const t = Date.UTC(2020, 1, 29, 23, 59, 59, 999);
    expect(floorTimestamp(t, 'MONTH')).toBe(Date.UTC(2020, 1, 1));
    expect(floorTimestamp(t, 'YEAR')).toBe(Date.UTC(2020, 0, 1));
    expect(ceilTimestamp(t, 'MONTH')).toBe(Date.UTC(2020, 2, 1));
    expect(ceilTimestamp(t, 'YEAR')).toBe(Date.UTC(2021, 0, 1));
    expect(ceilTimestamp(Date.UTC(2020, 2, 1), 'MONTH')).toBe(Date.UTC(2020, 2, 1));
  });

  it('steps from the epoch, also before it', () => {
    expect(stepFloor(23, 5)).toBe(20);
    expect(stepFloor(30, 10)).toBe(30);
    expect(stepFloor(-1, 60_000)).toBe(-60_000);
  });
});
