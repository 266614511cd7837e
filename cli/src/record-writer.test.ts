import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, batches } from './record-writer.js';

const entry = (bytes: number, key = 'k') => ({ Data: new Uint8Array(bytes), PartitionKey: key });

describe('batches', () => {
  it('cuts at 500 records', () => {
    const out = batches(Array.from({ length: 1201 }, () => entry(1)));
    expect(out.map((b) => b.length)).toEqual([500, 500, 201]);
  });

  it('cuts before 5 MiB of data plus keys, keeping order', () => {
    const big = Array.from({ length: 6 }, (_, i) => entry(1024 * 1024 - 1, `k${i}`));
    const out = batches(big);
    expect(out.map((b) => b.length)).toEqual([4, 2]);
    expect(out.flat().map((e) => e.PartitionKey)).toEqual(big.map((e) => e.PartitionKey));
    for (const b of out) expect(b.reduce((n, e) => n + e.Data.byteLength + e.PartitionKey.length, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('gives nothing for nothing', () => {
    expect(batches([])).toEqual([]);
  });
});
