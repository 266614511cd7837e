import { describe, expect, it } from 'vitest';
import { summarizeBacklog } from './backlog.js';
import type { RawRecord } from './store.js';

describe('summarizeBacklog', () => {
  it('is empty with no oldest arrival when nothing waits', () => {
    expect(summarizeBacklog([], { records: 0, bytes: 0, oldestArrivalMs: null }, [])).toEqual({ records: 0, bytes: 0, oldestArrivalMs: null });
  });

  it('adds queued records (a whole chunk counts its records), buffers and batches, and keeps the oldest arrival', () => {
    const queue = [
      { seq: 0, arrivalMs: 500, data: Buffer.alloc(10) },
      { seq: 1, arrivalMs: 300, data: Buffer.alloc(30), whole: { chunk: {} as never, count: 4 } },
    ] as RawRecord[];
    const batches = [{ records: 7, bytes: 70, oldestArrivalMs: 200 }];
    expect(summarizeBacklog(queue, { records: 2, bytes: 5, oldestArrivalMs: 400 }, batches)).toEqual({ records: 2 + 1 + 4 + 7, bytes: 5 + 10 + 30 + 70, oldestArrivalMs: 200 });
  });
});
