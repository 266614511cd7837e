import { describe, expect, it } from 'vitest';
import { parseTimeArg } from './time-arg.js';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');

describe('parseTimeArg', () => {
  it('reads ISO 8601 with and without a zone offset', () => {
    expect(parseTimeArg('2026-11-26T09:00:00Z', NOW)).toBe(Date.parse('2026-11-26T09:00:00Z'));
    expect(parseTimeArg('2026-11-26T11:00:00+02:00', NOW)).toBe(Date.parse('2026-11-26T09:00:00Z'));
    expect(parseTimeArg('2026-11-26', NOW)).toBe(Date.parse('2026-11-26T00:00:00Z'));
  });

  it('reads unix seconds, fractional seconds and milliseconds', () => {
    expect(parseTimeArg('1790000000', NOW)).toBe(1_790_000_000_000);
    expect(parseTimeArg('1790000000.5', NOW)).toBe(1_790_000_000_500);
    expect(parseTimeArg('1790000000123', NOW)).toBe(1_790_000_000_123);
  });

  it('reads now and relative times in every unit', () => {
    expect(parseTimeArg('now', NOW)).toBe(NOW);
    expect(parseTimeArg('NOW', NOW)).toBe(NOW);
    expect(parseTimeArg('-5m', NOW)).toBe(NOW - 300_000);
    expect(parseTimeArg('-2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseTimeArg('-30s', NOW)).toBe(NOW - 30_000);
    expect(parseTimeArg('-1d', NOW)).toBe(NOW - 86_400_000);
    expect(parseTimeArg('-250ms', NOW)).toBe(NOW - 250);
    expect(parseTimeArg('+1.5h', NOW)).toBe(NOW + 5_400_000);
  });

  it('refuses text that is not a time with a usage error naming the flag', () => {
    for (const bad of ['yesterday', '-5x', '', '2026-13-45T99:00:00Z', '12:00']) {
      expect(() => parseTimeArg(bad, NOW, '--from')).toThrow(expect.objectContaining({ code: 'CLI_USAGE', message: expect.stringContaining('--from') }));
    }
  });
});
