import { describe, expect, it } from 'vitest';
import { MAX_HASH_KEY, hashPartitionKey, parseHashKey, uniformRanges } from './hash-key.js';

describe('hash keys', () => {
  it('hashes a partition key to the MD5 digest read as a 128-bit integer', () => {
    // md5("a") = 0cc175b9c0f1b6a831c399e269772661
    expect(hashPartitionKey('a')).toBe(BigInt('0x0cc175b9c0f1b6a831c399e269772661'));
  });

  it('splits the key space into contiguous ranges that cover it exactly', () => {
    const ranges = uniformRanges(3);
    expect(ranges[0]!.startingHashKey).toBe(0n);
    expect(ranges[2]!.endingHashKey).toBe(MAX_HASH_KEY);
    expect(ranges[1]!.startingHashKey).toBe(ranges[0]!.endingHashKey + 1n);
    expect(ranges[2]!.startingHashKey).toBe(ranges[1]!.endingHashKey + 1n);
  });

  it('rejects explicit hash keys outside the key space or not decimal', () => {
    expect(parseHashKey('340282366920938463463374607431768211455')).toBe(MAX_HASH_KEY);
    expect(parseHashKey('340282366920938463463374607431768211456')).toBeNull();
    expect(parseHashKey('-1')).toBeNull();
    expect(parseHashKey('0x10')).toBeNull();
  });
});
