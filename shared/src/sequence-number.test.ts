import { describe, expect, it } from 'vitest';
import { decodeSequenceNumber, encodeSequenceNumber, parseShardId, shardIdFor } from './sequence-number.js';

describe('sequence numbers', () => {
  it('round-trips stream, shard and position', () => {
    const parts = { streamId: 7, shardIndex: 12, position: 123_456_789 };
    expect(decodeSequenceNumber(encodeSequenceNumber(parts))).toEqual(parts);
  });

  it('increase strictly with position within a shard, compared as big integers', () => {
    const a = BigInt(encodeSequenceNumber({ streamId: 1, shardIndex: 3, position: 9 }));
    const b = BigInt(encodeSequenceNumber({ streamId: 1, shardIndex: 3, position: 10 }));
    expect(b > a).toBe(true);
  });

  it('are unique across shards of one stream', () => {
    const a = encodeSequenceNumber({ streamId: 1, shardIndex: 0, position: 5 });
    const b = encodeSequenceNumber({ streamId: 1, shardIndex: 1, position: 5 });
    expect(a).not.toBe(b);
  });

  it('rejects text that is not one of ours', () => {
    expect(decodeSequenceNumber('abc')).toBeNull();
    expect(decodeSequenceNumber('12345')).toBeNull();
  });

  it('formats and parses shard ids', () => {
    expect(shardIdFor(3)).toBe('shardId-000000000003');
    expect(parseShardId('shardId-000000000003')).toBe(3);
    expect(parseShardId('shard-3')).toBeNull();
  });
});
