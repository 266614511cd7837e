import { describe, expect, it } from 'vitest';
import { SeqIndex } from './seq-index.js';

describe('SeqIndex', () => {
  it('keeps records oldest first and counts their bytes', () => {
    const index = new SeqIndex();
    index.push(3, 10, 1000);
    index.push(7, 20, 900);
    expect(index.first()).toEqual({ seq: 3, bytes: 10, wallMs: 1000 });
    expect([index.count, index.bytes]).toEqual([2, 30]);
    expect(index.shift()).toEqual({ seq: 3, bytes: 10, wallMs: 1000 });
    expect(index.first()?.seq).toBe(7);
  });

  it('removes out of order, once, and ignores seqs it never held', () => {
    const index = new SeqIndex();
    for (let seq = 1; seq <= 5; seq++) index.push(seq, seq, seq);
    expect(index.remove(3)).toBe(3);
    expect(index.remove(3)).toBe(0);
    expect(index.remove(99)).toBe(0);
    expect(index.has(3)).toBe(false);
    expect(index.has(4)).toBe(true);
    expect(index.remove(1)).toBe(1);
    expect(index.remove(2)).toBe(2);
    expect(index.first()?.seq).toBe(4);
    expect([index.count, index.bytes]).toEqual([2, 9]);
  });

  it('refuses a seq that does not increase', () => {
    const index = new SeqIndex();
    index.push(5, 1, 0);
    expect(() => index.push(5, 1, 0)).toThrow(/cannot push seq 5/);
  });

  it('stays consistent through growth, holes and compaction', () => {
    const index = new SeqIndex();
    const live = new Set<number>();
    for (let seq = 1; seq <= 20_000; seq++) {
      index.push(seq, 1, seq);
      live.add(seq);
      // Remove every third record as it ages, out of order, and drain from the front often.
      if (seq % 3 === 0 && live.delete(seq - 100)) index.remove(seq - 100);
      if (seq % 5 === 0) live.delete(index.shift()!.seq);
    }
    expect(index.count).toBe(live.size);
    expect(index.bytes).toBe(live.size);
    expect(index.first()?.seq).toBe(Math.min(...live));
    for (const seq of [1, 150, 9_999, 19_999, 20_000]) expect(index.has(seq)).toBe(live.has(seq));
    const drained: number[] = [];
    for (let r = index.shift(); r; r = index.shift()) drained.push(r.seq);
    expect(drained).toEqual([...live].sort((a, b) => a - b));
    expect(index.first()).toBeNull();
  });
});
