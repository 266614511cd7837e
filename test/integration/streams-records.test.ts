import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { http1Kinesis } from '../harness/clients.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite();
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

async function readAll(client: KinesisClient, stream: string, shardId: string, type: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON') {
  const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type }));
  const out = await client.send(new GetRecordsCommand({ ShardIterator }));
  return out;
}

describe('records through the stock AWS SDK v3 client (HTTP/2)', () => {
  it('puts a record and reads it back with its sequence number, shard and arrival time', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'r1', ShardCount: 1 }));
    const put = await suite.kinesis.send(new PutRecordCommand({ StreamName: 'r1', PartitionKey: 'device-1', Data: enc('hello') }));
    expect(put.ShardId).toBe('shardId-000000000000');
    expect(put.SequenceNumber).toMatch(/^\d+$/);
    const got = await readAll(suite.kinesis, 'r1', 'shardId-000000000000');
    expect(got.Records).toHaveLength(1);
    const rec = got.Records![0]!;
    expect(dec(rec.Data)).toBe('hello');
    expect(rec.PartitionKey).toBe('device-1');
    expect(rec.SequenceNumber).toBe(put.SequenceNumber);
    expect(rec.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    expect(Math.abs(rec.ApproximateArrivalTimestamp!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(got.NextShardIterator).toBeTruthy();
    expect(got.MillisBehindLatest).toBe(0);
  });

  it('returns per-record results in request order and routes by MD5 of the partition key', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'r2', ShardCount: 4 }));
    const records = Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `pk-${i}`, Data: enc(`v${i}`) }));
    const res = await suite.kinesis.send(new PutRecordsCommand({ StreamName: 'r2', Records: records }));
    expect(res.FailedRecordCount).toBe(0);
    expect(res.Records).toHaveLength(200);
    const { Shards } = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'r2' }));
    const used = new Set(res.Records!.map((r) => r.ShardId));
    expect(used.size).toBe(4);
    // Every record is found on the shard it was acknowledged on, in put order.
    for (const shard of Shards!) {
      const got = await readAll(suite.kinesis, 'r2', shard.ShardId!);
      const expected = res.Records!.map((r, i) => ({ r, i })).filter(({ r }) => r.ShardId === shard.ShardId);
      expect(got.Records!.map((r) => dec(r.Data))).toEqual(expected.map(({ i }) => `v${i}`));
      const seqs = got.Records!.map((r) => BigInt(r.SequenceNumber!));
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]! > seqs[i - 1]!).toBe(true);
    }
  });

  it('honours ExplicitHashKey over the partition key', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'r3', ShardCount: 2 }));
    const high = await suite.kinesis.send(new PutRecordCommand({ StreamName: 'r3', PartitionKey: 'x', Data: enc('a'), ExplicitHashKey: '340282366920938463463374607431768211455' }));
    const low = await suite.kinesis.send(new PutRecordCommand({ StreamName: 'r3', PartitionKey: 'x', Data: enc('b'), ExplicitHashKey: '0' }));
    expect(high.ShardId).toBe('shardId-000000000001');
    expect(low.ShardId).toBe('shardId-000000000000');
  });

  it('serves every iterator type: TRIM_HORIZON, LATEST, AT/AFTER_SEQUENCE_NUMBER and AT_TIMESTAMP', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'r4', ShardCount: 1 }));
    const shardId = 'shardId-000000000000';
    const seqs: string[] = [];
    for (let i = 0; i < 3; i++) {
      seqs.push((await suite.kinesis.send(new PutRecordCommand({ StreamName: 'r4', PartitionKey: 'k', Data: enc(`first-${i}`) }))).SequenceNumber!);
    }
    await new Promise((r) => setTimeout(r, 50));
    const midpoint = new Date();
    await new Promise((r) => setTimeout(r, 50));
    const latest = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'r4', ShardId: shardId, ShardIteratorType: 'LATEST' }));
    seqs.push((await suite.kinesis.send(new PutRecordCommand({ StreamName: 'r4', PartitionKey: 'k', Data: enc('second') }))).SequenceNumber!);

    const fromLatest = await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }));
    expect(fromLatest.Records!.map((r) => dec(r.Data))).toEqual(['second']);

    const at = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'r4', ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: seqs[1] }));
    expect((await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator }))).Records!.map((r) => dec(r.Data))).toEqual(['first-1', 'first-2', 'second']);

    const after = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'r4', ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: seqs[1] }));
    expect((await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: after.ShardIterator }))).Records!.map((r) => dec(r.Data))).toEqual(['first-2', 'second']);

    const ts = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'r4', ShardId: shardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: midpoint }));
    expect((await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: ts.ShardIterator }))).Records!.map((r) => dec(r.Data))).toEqual(['second']);

    // Past the newest record: an empty batch at once, and the iterator still follows new data.
    await new Promise((r) => setTimeout(r, 20));
    const future = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'r4', ShardId: shardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date() }));
    const empty = await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: future.ShardIterator }));
    expect(empty.Records).toEqual([]);
    await suite.kinesis.send(new PutRecordCommand({ StreamName: 'r4', PartitionKey: 'k', Data: enc('third') }));
    const next = await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
    expect(next.Records!.map((r) => dec(r.Data))).toEqual(['third']);
  });

  it('pages GetRecords with Limit and reports MillisBehindLatest while behind', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'r5', ShardCount: 1 }));
    await suite.kinesis.send(new PutRecordsCommand({ StreamName: 'r5', Records: Array.from({ length: 25 }, (_, i) => ({ PartitionKey: 'k', Data: enc(String(i)) })) }));
    const { ShardIterator } = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'r5', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const seen: string[] = [];
    let iterator = ShardIterator;
    let first = true;
    for (let i = 0; i < 5; i++) {
      const page = await suite.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10 }));
      if (first) expect(page.MillisBehindLatest).toBeGreaterThanOrEqual(0);
      first = false;
      seen.push(...page.Records!.map((r) => dec(r.Data)));
      iterator = page.NextShardIterator;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
  });

  it('works the same over HTTP/1.1', async () => {
    const h1 = http1Kinesis(suite.server.endpoint);
    try {
      const put = await h1.send(new PutRecordCommand({ StreamName: 'r1', PartitionKey: 'p', Data: enc('over h1') }));
      expect(put.SequenceNumber).toBeTruthy();
    } finally {
      h1.destroy();
    }
  });
});
