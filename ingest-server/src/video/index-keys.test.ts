import { describe, expect, it } from 'vitest';
import { formatFragmentNumber } from './fragment-number.js';
import { decodeRecord, encodeRecord, fragmentNumberOf, fragmentRange, timeKey, timeRange } from './index-keys.js';

const within = (key: string, r: { gt?: string; gte?: string; lt: string }) => (r.gt === undefined || key > r.gt) && (r.gte === undefined || key >= r.gte) && key < r.lt;

describe('video index keys', () => {
  it('keep one stream and one time range contiguous, with inclusive bounds', () => {
    const n = formatFragmentNumber(7);
    const range = timeRange('p', 3, 1000, 2000, null);
    expect(within(timeKey('p', 3, 1000, n), range)).toBe(true);
    expect(within(timeKey('p', 3, 2000, n), range)).toBe(true);
    expect(within(timeKey('p', 3, 999, n), range)).toBe(false);
    expect(within(timeKey('p', 3, 2001, n), range)).toBe(false);
    expect(within(timeKey('p', 4, 1500, n), range)).toBe(false);
    expect(within(timeKey('t', 3, 1500, n), range)).toBe(false);
    expect(within(`f!0000000003!${n}`, fragmentRange(3, null))).toBe(true);
    expect(within(`f!0000000031!${n}`, fragmentRange(3, null))).toBe(false);
  });

  it('resume after a position, and round-trip records', () => {
    const a = formatFragmentNumber(1);
    const b = formatFragmentNumber(2);
    const range = timeRange('t', 1, 0, 5000, { timestampMs: 1000, fragmentNumber: a });
    expect(within(timeKey('t', 1, 1000, a), range)).toBe(false);
    expect(within(timeKey('t', 1, 1000, b), range)).toBe(true);
    expect(fragmentNumberOf(timeKey('t', 1, 1000, b))).toBe(b);
    const record = { streamName: 's', fragmentNumber: a, producerTimestampMs: 5, serverTimestampMs: 6, durationMs: 7, sizeBytes: 8 };
    expect(decodeRecord('s', a, encodeRecord(record))).toEqual(record);
  });
});
