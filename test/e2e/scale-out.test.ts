/**
 * Scale-out semantics across processes: two real rivulet-ingest processes on one real 3-node
 * JetStream cluster (test/harness/ingest-pair.ts), each addressed directly by its own stock SDK
 * client, so every step says which process serves it. What one process accepted, the other
 * serves at once; two processes appending to one shard never collide; a reshard through one
 * process while the other writes loses nothing; concurrent document updates never lose one;
 * and the per-shard write limit holds for the pair together.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListTagsForStreamCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1Kinesis, withProducerHeaders } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { startIngestPair, type IngestPair } from '../harness/ingest-pair.js';

let pair: IngestPair;
let a: KinesisClient;
let b: KinesisClient;

beforeAll(async () => {
  // Reads are not under test here: the consumer reads faster than Kinesis's 5 calls/s per shard.
  pair = await startIngestPair({ config: { streams: { limits: { readCallsPerSecond: 1000 } } } });
  [a, b] = pair.processes.map((p) => http1Kinesis(p.endpoint)) as [KinesisClient, KinesisClient];
});

afterAll(async () => {
  a?.destroy();
  b?.destroy();
  await pair?.stop();
  pair?.cleanup();
});

const text = (d: Uint8Array | undefined) => new TextDecoder().decode(d);

describe('two rivulet-ingest processes sharing a JetStream store', () => {
  it('serves through one process what the other just created, wrote and issued', async () => {
    await a.send(new CreateStreamCommand({ StreamName: 'across', ShardCount: 1 }));
    const summary = await b.send(new DescribeStreamSummaryCommand({ StreamName: 'across' }));
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(1);
    const put = await b.send(new PutRecordCommand({ StreamName: 'across', PartitionKey: 'k', Data: Buffer.from('from b') }));
    // An iterator issued by A, read through B, then its next iterator through A.
    const { ShardIterator } = await a.send(new GetShardIteratorCommand({ StreamName: 'across', ShardId: put.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    const page = await b.send(new GetRecordsCommand({ ShardIterator }));
    expect(page.Records?.map((r) => [r.SequenceNumber, text(r.Data)])).toEqual([[put.SequenceNumber, 'from b']]);
    const later = await a.send(new PutRecordCommand({ StreamName: 'across', PartitionKey: 'k', Data: Buffer.from('from a') }));
    const next = await a.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator }));
    expect(next.Records?.map((r) => [r.SequenceNumber, text(r.Data)])).toEqual([[later.SequenceNumber, 'from a']]);
    expect(BigInt(later.SequenceNumber!) > BigInt(put.SequenceNumber!)).toBe(true);
    // LATEST through B starts after A's record.
    const { ShardIterator: latest } = await b.send(new GetShardIteratorCommand({ StreamName: 'across', ShardId: put.ShardId!, ShardIteratorType: 'LATEST' }));
    const third = await a.send(new PutRecordCommand({ StreamName: 'across', PartitionKey: 'k', Data: Buffer.from('third') }));
    const tail = await b.send(new GetRecordsCommand({ ShardIterator: latest }));
    expect(tail.Records?.map((r) => r.SequenceNumber)).toEqual([third.SequenceNumber]);
  });

  it('gives records appended to one shard by both processes at once distinct, increasing sequence numbers, read back in that order', async () => {
    await a.send(new CreateStreamCommand({ StreamName: 'contended', ShardCount: 1 }));
    const acked: { seq: bigint; data: string }[] = [];
    const writer = async (client: KinesisClient, name: string) => {
      for (let call = 0; call < 10; call++) {
        const records = Array.from({ length: 50 }, (_, i) => ({ PartitionKey: 'same', Data: Buffer.from(`${name}-${call}-${i}`) }));
        const out = await client.send(new PutRecordsCommand({ StreamName: 'contended', Records: records }));
        // Within one call, sequence numbers follow the request order (records over the shard's limit are refused, not stored).
        const taken = out.Records!.map((r, i) => ({ r, data: `${name}-${call}-${i}` })).filter(({ r }) => !r.ErrorCode);
        const seqs = taken.map(({ r }) => BigInt(r.SequenceNumber!));
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]! > seqs[i - 1]!).toBe(true);
        for (const { r, data } of taken) acked.push({ seq: BigInt(r.SequenceNumber!), data });
        await sleep(50);
      }
    };
    await Promise.all([writer(a, 'a1'), writer(b, 'b1'), writer(a, 'a2'), writer(b, 'b2')]);
    expect(acked.length).toBeGreaterThan(1_000);
    expect(new Set(acked.map((r) => r.seq)).size).toBe(acked.length);
    const read = await readFollowingLineage(b, 'contended');
    const expected = [...acked].sort((x, y) => (x.seq < y.seq ? -1 : 1)).map((r) => [r.seq.toString(), r.data]);
    expect(read.map((r) => [r.sequenceNumber, r.data])).toEqual(expected);
  });

  it('loses nothing when one process splits a shard while the other writes to it', async () => {
    await a.send(new CreateStreamCommand({ StreamName: 'split-live', ShardCount: 1 }));
    const acked = new Map<string, { seq: string; shard: string; atMs: number }>();
    let stop = false;
    let n = 0;
    const writer = async () => {
      while (!stop) {
        const ids = Array.from({ length: 20 }, () => `w${n++}`);
        const out = await b.send(new PutRecordsCommand({ StreamName: 'split-live', Records: ids.map((id) => ({ PartitionKey: id, Data: Buffer.from(id) })) }));
        out.Records!.forEach((r, i) => {
          if (!r.ErrorCode) acked.set(ids[i]!, { seq: r.SequenceNumber!, shard: r.ShardId!, atMs: Date.now() });
        });
      }
    };
    const writing = Promise.all([writer(), writer()]);
    writing.catch(() => (stop = true));
    await sleep(500);
    await a.send(new SplitShardCommand({ StreamName: 'split-live', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
    const splitDone = Date.now();
    await sleep(700);
    stop = true;
    await writing;
    const { Shards = [] } = await b.send(new ListShardsCommand({ StreamName: 'split-live' }));
    const parent = Shards.find((s) => s.ShardId === 'shardId-000000000000')!;
    expect(parent.SequenceNumberRange?.EndingSequenceNumber).toBeDefined();
    // Records acknowledged well after the split (B has followed it) went to the children.
    const late = [...acked.values()].filter((r) => r.atMs > splitDone + 300);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((r) => r.shard !== 'shardId-000000000000')).toBe(true);
    // Every acknowledged record is read exactly once, where it was acknowledged; the parent ends at its last one.
    const read = await readFollowingLineage(a, 'split-live');
    expect(read.length).toBe(acked.size);
    for (const r of read) expect(acked.get(r.data)).toMatchObject({ seq: r.sequenceNumber, shard: r.shardId });
    const parentSeqs = read.filter((r) => r.shardId === parent.ShardId).map((r) => BigInt(r.sequenceNumber));
    expect(parentSeqs.every((s) => s <= BigInt(parent.SequenceNumberRange!.EndingSequenceNumber!))).toBe(true);
  });

  it('never loses an update when both processes change one stream document at once', async () => {
    await a.send(new CreateStreamCommand({ StreamName: 'tags-race', ShardCount: 1 }));
    const applied: string[] = [];
    let refused = 0;
    const tagger = async (client: KinesisClient, name: string) => {
      for (let i = 0; i < 15; i++) {
        try {
          await client.send(new AddTagsToStreamCommand({ StreamName: 'tags-race', Tags: { [`${name}${i}`]: 'x' } }));
          applied.push(`${name}${i}`);
        } catch (err) {
          expect((err as Error).name).toBe('ResourceInUseException');
          refused++;
        }
      }
    };
    await Promise.all([tagger(a, 'a'), tagger(b, 'b')]);
    const { Tags = [] } = await b.send(new ListTagsForStreamCommand({ StreamName: 'tags-race', Limit: 50 }));
    expect(Tags.map((t) => t.Key).sort()).toEqual([...applied].sort());
    expect(applied.length + refused).toBe(30);
  });

  it('holds the per-shard write limit for the pair: each process admits its half', async () => {
    await a.send(new CreateStreamCommand({ StreamName: 'limited', ShardCount: 1 }));
    const put = (client: KinesisClient, count: number) =>
      client.send(new PutRecordsCommand({ StreamName: 'limited', Records: Array.from({ length: count }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) }));
    // 1000 records/s per shard, two processes: 500 each.
    // One process alone would admit all 1100 (its bucket holds a second's 1000 and refills); A holds 500.
    const started = Date.now();
    const first = await put(a, 500);
    const second = await put(b, 500);
    const third = await put(a, 100);
    const elapsedMs = Date.now() - started;
    expect(first.FailedRecordCount).toBe(0);
    expect(second.FailedRecordCount).toBe(0);
    // A refills 500 records/s: at most elapsedMs / 2 of the 100 can have been admitted.
    expect(elapsedMs).toBeLessThan(100);
    expect(third.FailedRecordCount).toBeGreaterThanOrEqual(100 - Math.ceil(elapsedMs / 2));
    expect(third.Records?.find((r) => r.ErrorCode)?.ErrorCode).toBe('ProvisionedThroughputExceededException');
  });

  it("stores an idempotent producer's batch once when its retry goes to the other process, answering the same sequence numbers", async () => {
    await a.send(new CreateStreamCommand({ StreamName: 'producer', ShardCount: 2 }));
    const seq = 7;
    const viaA = withProducerHeaders(http1Kinesis(pair.processes[0]!.endpoint), 'cam-1', () => seq);
    const viaB = withProducerHeaders(http1Kinesis(pair.processes[1]!.endpoint), 'cam-1', () => seq);
    try {
      const batch = new PutRecordsCommand({ StreamName: 'producer', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`) })) });
      // Sent to both at once (a retry racing its original), then once more to B.
      const [first, racing] = await Promise.all([viaA.send(batch), viaB.send(batch)]);
      const again = await viaB.send(batch);
      const seqs = (out: typeof first) => out.Records?.map((r) => r.SequenceNumber);
      expect(first.FailedRecordCount).toBe(0);
      expect(seqs(racing)).toEqual(seqs(first));
      expect(seqs(again)).toEqual(seqs(first));
      const read = await readFollowingLineage(a, 'producer');
      expect(read.map((r) => r.data).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    } finally {
      viaA.destroy();
      viaB.destroy();
    }
  });
});
