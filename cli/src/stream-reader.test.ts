import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { systemClock, type Clock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { readStream, type ReadBatch } from './stream-reader.js';

interface FakeShard {
  id: string;
  parent?: string;
  adjacent?: string;
  closed: boolean;
  records: { seq: string; arrivalMs: number; key: string }[];
}

/** Timers that fire on the next turn: the reader's backoff and polling cost no wall time. */
const fastClock: Clock = {
  ...systemClock,
  setTimer(fn) {
    const t = setImmediate(fn);
    return { cancel: () => clearImmediate(t) };
  },
};

/** An in-memory Kinesis with pages of two records; `faults` are thrown by the next GetRecords calls. */
function fakeKinesis(shards: FakeShard[], faults: string[] = []) {
  const iterators: string[] = [];
  const client = {
    async send(command: unknown) {
      if (command instanceof ListShardsCommand) {
        return {
          Shards: shards.map((s) => ({
            ShardId: s.id,
            ParentShardId: s.parent,
            AdjacentParentShardId: s.adjacent,
            SequenceNumberRange: { StartingSequenceNumber: '0', ...(s.closed ? { EndingSequenceNumber: '9' } : {}) },
          })),
        };
      }
      if (command instanceof GetShardIteratorCommand) {
        const i = command.input;
        const shard = shards.find((s) => s.id === i.ShardId)!;
        iterators.push(`${i.ShardId}:${i.ShardIteratorType}${i.StartingSequenceNumber ? `:${i.StartingSequenceNumber}` : ''}`);
        let pos = 0;
        if (i.ShardIteratorType === 'LATEST') pos = shard.records.length;
        if (i.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER') pos = shard.records.findIndex((r) => r.seq === i.StartingSequenceNumber) + 1;
        if (i.ShardIteratorType === 'AT_TIMESTAMP') pos = Math.max(0, shard.records.findIndex((r) => r.arrivalMs >= i.Timestamp!.getTime()));
        return { ShardIterator: JSON.stringify({ shard: shard.id, pos }) };
      }
      if (command instanceof GetRecordsCommand) {
        const fault = faults.shift();
        if (fault) throw Object.assign(new Error(fault), { name: fault });
        const { shard: id, pos } = JSON.parse(command.input.ShardIterator!) as { shard: string; pos: number };
        const shard = shards.find((s) => s.id === id)!;
        const page = shard.records.slice(pos, pos + 2);
        const next = pos + page.length;
        const Records: _Record[] = page.map((r) => ({ SequenceNumber: r.seq, PartitionKey: r.key, Data: Buffer.from(r.seq), ApproximateArrivalTimestamp: new Date(r.arrivalMs) }));
        const atEnd = next >= shard.records.length;
        return { Records, NextShardIterator: atEnd && shard.closed ? undefined : JSON.stringify({ shard: id, pos: next }), MillisBehindLatest: atEnd ? 0 : 1000 };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  };
  return { kinesis: client as unknown as KinesisClient, iterators };
}

const recs = (prefix: string, n: number, t0 = 0) => Array.from({ length: n }, (_, i) => ({ seq: `${prefix}${i}`, arrivalMs: t0 + i, key: 'k' }));

async function readAll(kinesis: KinesisClient, extra: Partial<Parameters<typeof readStream>[0]> = {}): Promise<ReadBatch[]> {
  const batches: ReadBatch[] = [];
  await readStream({ kinesis, clock: fastClock, stream: 's', start: { type: 'TRIM_HORIZON' }, follow: false, signal: new AbortController().signal, onBatch: (b) => void batches.push(b), ...extra });
  return batches;
}

describe('readStream', () => {
  it('reads a closed parent to its end before either child, every record once', async () => {
    const { kinesis } = fakeKinesis([
      { id: 'p', closed: true, records: recs('p', 5) },
      { id: 'c1', parent: 'p', closed: false, records: recs('a', 3, 10) },
      { id: 'c2', parent: 'p', closed: false, records: recs('b', 3, 10) },
    ]);
    const batches = await readAll(kinesis);
    const seqs = batches.flatMap((b) => b.records.map((r) => r.SequenceNumber));
    expect(seqs.sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'p0', 'p1', 'p2', 'p3', 'p4']);
    const lastParent = batches.findLastIndex((b) => b.shardId === 'p');
    const firstChild = batches.findIndex((b) => b.shardId !== 'p');
    expect(lastParent).toBeLessThan(firstChild);
  });

  it('waits for both parents of a merged shard', async () => {
    const { kinesis } = fakeKinesis([
      { id: 'x', closed: true, records: recs('x', 1) },
      { id: 'y', closed: true, records: recs('y', 6) },
      { id: 'm', parent: 'x', adjacent: 'y', closed: false, records: recs('m', 2, 10) },
    ]);
    const order = (await readAll(kinesis)).map((b) => b.shardId);
    expect(order.indexOf('m')).toBeGreaterThan(order.lastIndexOf('y'));
    expect(order.indexOf('m')).toBeGreaterThan(order.lastIndexOf('x'));
  });

  it('backs off on throttling and renews an expired iterator after the last record read', async () => {
    const shards: FakeShard[] = [{ id: 'only', closed: true, records: recs('r', 5) }];
    const { kinesis, iterators } = fakeKinesis(shards, []);
    const faults = ['ProvisionedThroughputExceededException', 'ProvisionedThroughputExceededException'];
    let calls = 0;
    const flaky = {
      send: (command: unknown) => {
        if (command instanceof GetRecordsCommand && ++calls === 2) return Promise.reject(Object.assign(new Error('expired'), { name: 'ExpiredIteratorException' }));
        if (command instanceof GetRecordsCommand && (calls === 3 || calls === 4) && faults.length > 0) return Promise.reject(Object.assign(new Error('slow down'), { name: faults.shift()! }));
        return kinesis.send(command as never);
      },
    } as unknown as KinesisClient;
    const seqs = (await readAll(flaky)).flatMap((b) => b.records.map((r) => r.SequenceNumber));
    expect(seqs).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(iterators).toEqual(['only:TRIM_HORIZON', 'only:AFTER_SEQUENCE_NUMBER:r1']);
  });

  it('stops at the arrival bound and never starts the children of a shard that passed it', async () => {
    const { kinesis, iterators } = fakeKinesis([
      { id: 'p', closed: true, records: recs('p', 6, 100) },
      { id: 'c', parent: 'p', closed: false, records: recs('c', 2, 200) },
    ]);
    const batches = await readAll(kinesis, { start: { type: 'AT_TIMESTAMP', timestampMs: 101 }, untilArrivalMs: 103 });
    expect(batches.flatMap((b) => b.records.map((r) => r.SequenceNumber))).toEqual(['p1', 'p2', 'p3']);
    expect(iterators).toEqual(['p:AT_TIMESTAMP']);
  });

  it('with LATEST follows only the open shards, and rejects on an error that is not retried', async () => {
    const { kinesis, iterators } = fakeKinesis([
      { id: 'old', closed: true, records: recs('o', 2) },
      { id: 'new', parent: 'old', closed: false, records: recs('n', 2) },
    ]);
    await readAll(kinesis, { start: { type: 'LATEST' } });
    expect(iterators).toEqual(['new:LATEST']);
    const broken = fakeKinesis([{ id: 's', closed: false, records: [] }], ['AccessDeniedException']);
    await expect(readAll(broken.kinesis)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('stops following when the signal aborts', async () => {
    const { kinesis } = fakeKinesis([{ id: 's', closed: false, records: recs('r', 3) }]);
    const controller = new AbortController();
    const seen: string[] = [];
    await readStream({
      kinesis,
      clock: fastClock,
      stream: 's',
      start: { type: 'TRIM_HORIZON' },
      follow: true,
      signal: controller.signal,
      onBatch: (b) => {
        seen.push(...b.records.map((r) => r.SequenceNumber!));
        if (seen.length === 3) controller.abort();
      },
    });
    expect(seen).toEqual(['r0', 'r1', 'r2']);
  });
});
