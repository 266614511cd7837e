import { describe, expect, it } from 'vitest';
import { iteratorInput, parseStartPosition } from './start-position.js';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const SEQ = '49590338271490256608559692538361571095921575989136588898';

describe('parseStartPosition', () => {
  it('reads the iterator types in any case', () => {
    expect(parseStartPosition('trim_horizon', NOW)).toEqual({ type: 'TRIM_HORIZON' });
    expect(parseStartPosition('LATEST', NOW)).toEqual({ type: 'LATEST' });
  });

  it('reads a bare sequence number as AT and AFTER:SEQ as AFTER', () => {
    expect(parseStartPosition(SEQ, NOW)).toEqual({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: SEQ });
    expect(parseStartPosition(`after:${SEQ}`, NOW)).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ });
  });

  it('reads times, including unix milliseconds, as AT_TIMESTAMP', () => {
    expect(parseStartPosition('-5m', NOW)).toEqual({ type: 'AT_TIMESTAMP', timestampMs: NOW - 300_000 });
    expect(parseStartPosition('1790000000123', NOW)).toEqual({ type: 'AT_TIMESTAMP', timestampMs: 1_790_000_000_123 });
  });

  it('refuses anything else with a usage error', () => {
    expect(() => parseStartPosition('beginning', NOW)).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
  });

  it('builds GetShardIterator inputs', () => {
    expect(iteratorInput('s', 'shardId-000000000000', { type: 'AT_TIMESTAMP', timestampMs: NOW })).toEqual({
      StreamName: 's',
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date(NOW),
    });
    expect(iteratorInput('s', 'x', { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ }).StartingSequenceNumber).toBe(SEQ);
  });
});
