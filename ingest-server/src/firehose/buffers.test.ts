import { describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { PartitionBuffers, type OpenBuffer } from './buffers.js';
import type { RoutedItem } from './pipeline.js';

const data = (partition: string, bytes: number, rawSeq = 0): RoutedItem => ({ kind: 'data', partition, keys: { query: { k: partition }, lambda: {} }, rawSeq, arrivalMs: 1_000, data: Buffer.alloc(bytes) });

function setup(limits = { bufferBytes: 100, bufferIntervalMs: 60_000, maxActivePartitions: 2 }) {
  const clock = new ManualClock(1_000);
  const cuts: OpenBuffer[] = [];
  const buffers = new PartitionBuffers(limits, clock, (b) => cuts.push(b));
  return { clock, cuts, buffers };
}

describe('PartitionBuffers', () => {
  it('cuts a buffer when it reaches the size hint', () => {
    const { cuts, buffers } = setup();
    buffers.add(data('a', 60));
    expect(cuts).toHaveLength(0);
    buffers.add(data('a', 40));
    expect(cuts).toHaveLength(1);
    expect(cuts[0]!.bytes).toBe(100);
    expect(cuts[0]!.records).toBe(2);
  });

  it('cuts on the interval hint, timed from the first record, and not before', () => {
    const { clock, cuts, buffers } = setup();
    buffers.add(data('a', 10));
    clock.advance(30_000);
    buffers.add(data('a', 10));
    clock.advance(29_999);
    expect(cuts).toHaveLength(0);
    clock.advance(1);
    expect(cuts).toHaveLength(1);
    expect(cuts[0]!.items).toHaveLength(2);
  });

  it('keeps one buffer per partition and refuses a partition past the active limit', () => {
    const { cuts, buffers } = setup();
    expect(buffers.add(data('a', 10))).toBe(true);
    expect(buffers.add(data('b', 10))).toBe(true);
    expect(buffers.add(data('c', 10))).toBe(false);
    expect(buffers.activePartitions).toBe(2);
    // Error-output buffers do not count against the limit.
    expect(buffers.add({ kind: 'error', partition: 'error:processing-failed', errorOutputType: 'processing-failed', rawSeq: 1, arrivalMs: 1_000, data: Buffer.alloc(5) })).toBe(true);
    buffers.add(data('a', 90));
    expect(cuts.map((c) => c.partition)).toEqual(['a']);
    expect(buffers.add(data('c', 10))).toBe(true);
  });

  it('flushes every buffer at shutdown, and at once with a zero interval', () => {
    const { cuts, buffers } = setup();
    buffers.add(data('a', 10));
    buffers.add(data('b', 10));
    buffers.flushAll();
    expect(cuts.map((c) => c.partition).sort()).toEqual(['a', 'b']);
    const zero = setup({ bufferBytes: 100, bufferIntervalMs: 0, maxActivePartitions: 5 });
    zero.buffers.add(data('a', 1));
    zero.buffers.flushIfImmediate();
    expect(zero.cuts).toHaveLength(1);
  });
});
