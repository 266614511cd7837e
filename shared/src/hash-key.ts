/**
 * Kinesis hash-key arithmetic: a stream owns the 128-bit MD5 key space [0, 2^128 - 1], split
 * into shards by contiguous ranges. Owns nothing else (no shard state).
 */
import { hash } from 'node:crypto';

export const MAX_HASH_KEY = (1n << 128n) - 1n;

export interface HashKeyRange {
  startingHashKey: bigint;
  endingHashKey: bigint;
}

/** Kinesis: the MD5 of the partition key's UTF-8 bytes, read as an unsigned big-endian integer. */
export function hashPartitionKey(partitionKey: string): bigint {
  // One-shot hashing: no Hash object per record (this runs once per record on the put path).
  const digest = hash('md5', partitionKey, 'buffer');
  return (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
}

/** Parses a decimal ExplicitHashKey; null when it is not a decimal integer in the key space. */
export function parseHashKey(text: string): bigint | null {
  if (!/^\d{1,39}$/.test(text)) return null;
  const value = BigInt(text);
  return value <= MAX_HASH_KEY ? value : null;
}

/** Splits [start, end] into `count` contiguous ranges of (nearly) equal width, as CreateStream does. */
export function uniformRanges(count: number, start = 0n, end = MAX_HASH_KEY): HashKeyRange[] {
  const width = (end - start + 1n) / BigInt(count);
  const ranges: HashKeyRange[] = [];
  for (let i = 0; i < count; i++) {
    const s = start + width * BigInt(i);
    const e = i === count - 1 ? end : s + width - 1n;
    ranges.push({ startingHashKey: s, endingHashKey: e });
  }
  return ranges;
}

export function rangeContains(range: HashKeyRange, key: bigint): boolean {
  return key >= range.startingHashKey && key <= range.endingHashKey;
}
