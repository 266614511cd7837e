import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { GroupCommit, type BatchOperation } from './group-commit.js';

interface Write {
  keys: string[];
  sync: boolean;
  finish: () => void;
  fail: (error: Error) => void;
}

/** A GroupCommit whose writes stay in flight until the test finishes them. */
function harness(flushIntervalMs = 20) {
  const clock = new ManualClock();
  const writes: Write[] = [];
  const failures: Error[] = [];
  const commits = new GroupCommit({
    clock,
    flushIntervalMs,
    write: (operations: BatchOperation[], sync: boolean) =>
      new Promise<void>((finish, fail) => writes.push({ keys: operations.map((o) => o.key.toString()), sync, finish, fail })),
    onFailure: (error) => failures.push(error),
  });
  const queue = (key: string, sync = false) => {
    commits.batch.put(Buffer.from(key), Buffer.from('v'), sync);
    return commits.barrier();
  };
  return { clock, writes, failures, commits, queue };
}

const ticks = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('GroupCommit', () => {
  it('urgentBarrier writes what is queued at once, and after the write in flight if there is one', async () => {
    const { clock, writes, queue, commits } = harness();
    const first = queue('a');
    commits.batch.put(Buffer.from('ack'), Buffer.from('v'), true);
    const urgent = commits.urgentBarrier();
    // No waiting out the 20 ms: the queued append shares the urgent write.
    expect(writes.map((w) => w.keys)).toEqual([['a', 'ack']]);
    commits.batch.put(Buffer.from('ack2'), Buffer.from('v'), true);
    const second = commits.urgentBarrier();
    expect(writes).toHaveLength(1);
    writes[0]!.finish();
    await Promise.all([first, urgent]);
    await ticks();
    expect(writes.map((w) => w.keys)).toEqual([['a', 'ack'], ['ack2']]);
    writes[1]!.finish();
    await second;
    // Nothing was left for the timer to write.
    clock.advance(100);
    expect(writes).toHaveLength(2);
  });

  it('writes everything queued within flushIntervalMs as one batch, and resolves only after it', async () => {
    const { clock, writes, queue } = harness();
    const resolved: string[] = [];
    const pending = ['a', 'b', 'c'].map((k) => queue(k).then(() => resolved.push(k)));
    clock.advance(19);
    expect(writes).toHaveLength(0);
    clock.advance(1);
    expect(writes.map((w) => w.keys)).toEqual([['a', 'b', 'c']]);
    await ticks();
    expect(resolved).toEqual([]);
    writes[0]!.finish();
    await Promise.all(pending);
    expect(resolved).toEqual(['a', 'b', 'c']);
  });

  it('merges what arrives during a write into the next batch, written as soon as the first ends', async () => {
    const { clock, writes, queue, commits } = harness();
    const first = queue('a');
    clock.advance(20);
    const during = [queue('b'), queue('c')];
    await ticks();
    expect(writes).toHaveLength(1);
    writes[0]!.finish();
    await first;
    await ticks();
    expect(writes.map((w) => w.keys)).toEqual([['a'], ['b', 'c']]);
    writes[1]!.finish();
    await Promise.all(during);
    expect(commits.batchesWritten).toBe(2);
  });

  it('syncs a batch when any operation in it asks to', async () => {
    const { clock, writes, queue } = harness();
    const first = queue('a', false);
    clock.advance(20);
    writes[0]!.finish();
    await first;
    void queue('b', false);
    void queue('c', true);
    clock.advance(20);
    expect(writes.map((w) => w.sync)).toEqual([false, true]);
  });

  it('writes each set() key once per batch, with the last value, after the ordinary operations', () => {
    const { clock, writes, commits } = harness();
    commits.batch.set(Buffer.from('counter'), Buffer.from('1'), false);
    commits.batch.put(Buffer.from('r1'), Buffer.from('v'), false);
    commits.batch.set(Buffer.from('counter'), Buffer.from('2'), false);
    void commits.barrier();
    clock.advance(20);
    expect(writes[0]?.keys).toEqual(['r1', 'counter']);
  });

  it('with flushIntervalMs 0, writes at the end of the tick without a timer', async () => {
    const { writes, queue } = harness(0);
    void queue('a');
    void queue('b');
    expect(writes).toHaveLength(0);
    await Promise.resolve();
    expect(writes.map((w) => w.keys)).toEqual([['a', 'b']]);
  });

  it('fails the batch, what queued behind it and every later barrier when a write fails', async () => {
    const { clock, writes, queue, failures } = harness();
    const first = queue('a');
    clock.advance(20);
    const behind = queue('b');
    writes[0]!.fail(new Error('EIO: i/o error'));
    await expect(first).rejects.toThrow(/buffer write failed: Error: EIO/);
    await expect(behind).rejects.toThrow(/buffer write failed/);
    await expect(queue('c')).rejects.toThrow(/buffer write failed/);
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error & { cause?: unknown }).cause).toBeInstanceOf(Error);
  });
});
