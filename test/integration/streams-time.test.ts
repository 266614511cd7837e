import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  PutRecordsCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADERS } from '@rivulet/shared';
import { http1Kinesis } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';

let env: InProcessServer | null = null;
let kinesis: KinesisClient | null = null;
const HOUR = 3_600_000;
const enc = (s: string) => new TextEncoder().encode(s);

async function open(config: Record<string, unknown> = {}) {
  env = await startInProcess(config);
  kinesis = http1Kinesis(env.endpoint);
  return { env, kinesis };
}

afterEach(async () => {
  kinesis?.destroy();
  await env?.close();
  env = null;
  kinesis = null;
});

async function readFromHorizon(client: KinesisClient, stream: string): Promise<string[]> {
  const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
  const out = await client.send(new GetRecordsCommand({ ShardIterator }));
  return out.Records!.map((r) => new TextDecoder().decode(r.Data));
}

describe('retention with an injected clock', () => {
  it('trims expired records by a background pass, not on read', async () => {
    // A check interval of 10 days keeps the background pass out of the way until we run it.
    const { env, kinesis } = await open({ streams: { retentionCheckIntervalMs: 10 * 24 * HOUR } });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'ret', ShardCount: 1 }));
    await kinesis.send(new PutRecordCommand({ StreamName: 'ret', PartitionKey: 'k', Data: enc('old') }));
    env.clock.advance(20 * HOUR);
    await kinesis.send(new PutRecordCommand({ StreamName: 'ret', PartitionKey: 'k', Data: enc('new') }));
    env.clock.advance(5 * HOUR);
    expect(await readFromHorizon(kinesis, 'ret')).toEqual(['old', 'new']);
    expect(await env.server.streams.trimmer.runOnce()).toBe(1);
    expect(await readFromHorizon(kinesis, 'ret')).toEqual(['new']);
  });

  it('drops closed shards from the shard list once they are older than the retention period', async () => {
    const { env, kinesis } = await open({ streams: { retentionCheckIntervalMs: 10 * 24 * HOUR } });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'old-shards', ShardCount: 1 }));
    await kinesis.send(new PutRecordCommand({ StreamName: 'old-shards', PartitionKey: 'k', Data: enc('parent') }));
    await kinesis.send(new SplitShardCommand({ StreamName: 'old-shards', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' }));
    env.clock.advance(23 * HOUR);
    await env.server.streams.trimmer.runOnce();
    expect((await kinesis.send(new ListShardsCommand({ StreamName: 'old-shards' }))).Shards).toHaveLength(3);
    env.clock.advance(2 * HOUR);
    await env.server.streams.trimmer.runOnce();
    const after = await kinesis.send(new ListShardsCommand({ StreamName: 'old-shards' }));
    expect(after.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    // Children keep naming their expired parent, as in Kinesis, and are now where reading starts.
    expect(after.Shards![0]!.ParentShardId).toBe('shardId-000000000000');
    const horizon = await kinesis.send(new ListShardsCommand({ StreamName: 'old-shards', ShardFilter: { Type: 'AT_TRIM_HORIZON' } }));
    expect(horizon.Shards).toHaveLength(2);
  });

  it('runs the trimmer on its own timer', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'auto', ShardCount: 1 }));
    await kinesis.send(new PutRecordCommand({ StreamName: 'auto', PartitionKey: 'k', Data: enc('old') }));
    env.clock.advance(25 * HOUR);
    let records = await readFromHorizon(kinesis, 'auto');
    for (let i = 0; i < 50 && records.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      records = await readFromHorizon(kinesis, 'auto');
    }
    expect(records).toEqual([]);
  });

  it('keeps data for 168 hours once retention is raised', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'week', ShardCount: 1 }));
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'week', RetentionPeriodHours: 168 }));
    await kinesis.send(new PutRecordCommand({ StreamName: 'week', PartitionKey: 'k', Data: enc('kept') }));
    env.clock.advance(167 * HOUR);
    await env.server.streams.trimmer.runOnce();
    expect(await readFromHorizon(kinesis, 'week')).toEqual(['kept']);
    env.clock.advance(2 * HOUR);
    await env.server.streams.trimmer.runOnce();
    expect(await readFromHorizon(kinesis, 'week')).toEqual([]);
  });

  it('expires shard iterators after five minutes with ExpiredIteratorException', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'exp', ShardCount: 1 }));
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'exp', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }));
    env.clock.advance(4 * 60_000);
    const fresh = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(fresh.Records).toEqual([]);
    env.clock.advance(2 * 60_000);
    await expect(kinesis.send(new GetRecordsCommand({ ShardIterator }))).rejects.toMatchObject({ name: 'ExpiredIteratorException' });
    // The iterator handed out later is fresh.
    await expect(kinesis.send(new GetRecordsCommand({ ShardIterator: fresh.NextShardIterator }))).resolves.toBeTruthy();
  });
});

describe('per-shard throughput limits', () => {
  it('fails records past 1000/s per shard with ProvisionedThroughputExceededException and admits them again a second later', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'lim', ShardCount: 1 }));
    const batch = () => Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `k${i}`, Data: enc('x') }));
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'lim', Records: batch() }))).FailedRecordCount).toBe(0);
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'lim', Records: batch() }))).FailedRecordCount).toBe(0);
    const third = await kinesis.send(new PutRecordsCommand({ StreamName: 'lim', Records: batch() }));
    expect(third.FailedRecordCount).toBe(500);
    expect(third.Records![0]).toMatchObject({ ErrorCode: 'ProvisionedThroughputExceededException' });
    await expect(kinesis.send(new PutRecordCommand({ StreamName: 'lim', PartitionKey: 'k', Data: enc('x') }))).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
    env.clock.advance(1000);
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'lim', Records: batch() }))).FailedRecordCount).toBe(0);
  });

  it('refuses an all-or-nothing batch whole when any record would be throttled, storing none of it', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'atomic', ShardCount: 1 }));
    kinesis.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers[HEADERS.atomicBatch] = 'true';
        return next(args);
      },
      { step: 'build', name: 'rivulet-atomic-batch' },
    );
    const batch = (tag: string) => Array.from({ length: 400 }, (_, i) => ({ PartitionKey: `k${i}`, Data: enc(`${tag}-${i}`) }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'atomic', Records: batch('a') }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'atomic', Records: batch('b') }));
    await expect(kinesis.send(new PutRecordsCommand({ StreamName: 'atomic', Records: batch('c') }))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    // Nothing of batch c was stored, and its admitted records gave their budget back.
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'atomic', Records: batch('d').slice(0, 200) }))).FailedRecordCount).toBe(0);
    env.clock.advance(1000);
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'atomic', Records: batch('c') }))).FailedRecordCount).toBe(0);
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'atomic', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const all = (await kinesis.send(new GetRecordsCommand({ ShardIterator }))).Records!.map((r) => new TextDecoder().decode(r.Data));
    expect(all.filter((d) => d.startsWith('c-'))).toHaveLength(400);
    expect(all).toHaveLength(1400);
  });

  it('limits each shard to 1 MiB/s of writes', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'bytes', ShardCount: 1 }));
    const records = Array.from({ length: 3 }, () => ({ PartitionKey: 'k', Data: new Uint8Array(400 * 1024) }));
    const res = await kinesis.send(new PutRecordsCommand({ StreamName: 'bytes', Records: records }));
    expect(res.FailedRecordCount).toBe(1);
    expect(res.Records![2]).toMatchObject({ ErrorCode: 'ProvisionedThroughputExceededException' });
    env.clock.advance(1000);
    expect((await kinesis.send(new PutRecordCommand({ StreamName: 'bytes', PartitionKey: 'k', Data: new Uint8Array(400 * 1024) }))).SequenceNumber).toBeTruthy();
  });

  it('limits GetRecords to 5 calls per second per shard', async () => {
    const { env, kinesis } = await open();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'reads', ShardCount: 1 }));
    let { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'reads', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }));
    for (let i = 0; i < 5; i++) ShardIterator = (await kinesis.send(new GetRecordsCommand({ ShardIterator }))).NextShardIterator;
    await expect(kinesis.send(new GetRecordsCommand({ ShardIterator }))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    env.clock.advance(1000);
    await expect(kinesis.send(new GetRecordsCommand({ ShardIterator }))).resolves.toBeTruthy();
  });

  it('admits everything when limits are switched off', async () => {
    const { kinesis } = await open({ streams: { limits: { enabled: false } } });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'bulk', ShardCount: 1 }));
    for (let i = 0; i < 5; i++) {
      const res = await kinesis.send(new PutRecordsCommand({ StreamName: 'bulk', Records: Array.from({ length: 500 }, () => ({ PartitionKey: 'k', Data: enc('x') })) }));
      expect(res.FailedRecordCount).toBe(0);
    }
  });
});

describe('ON_DEMAND streams', () => {
  it('split a hot shard by themselves, measured from the write rate', async () => {
    const { env, kinesis } = await open({ streams: { autoscale: { intervalMs: 1000, thresholdRatio: 0.5 } } });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    const open4 = await kinesis.send(new ListShardsCommand({ StreamName: 'od', ShardFilter: { Type: 'AT_LATEST' } }));
    expect(open4.Shards).toHaveLength(4);
    // 600 records/s into shard 0 passes half its 1000 records/s limit; the other shards stay cold.
    for (let i = 0; i < 2; i++) {
      await kinesis.send(new PutRecordsCommand({ StreamName: 'od', Records: Array.from({ length: 300 }, () => ({ PartitionKey: 'k', ExplicitHashKey: '0', Data: enc('x') })) }));
    }
    env.clock.advance(1000);
    let shards = open4.Shards!;
    for (let i = 0; i < 50 && shards.length === 4; i++) {
      await new Promise((r) => setTimeout(r, 20));
      shards = (await kinesis.send(new ListShardsCommand({ StreamName: 'od', ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
    }
    expect(shards).toHaveLength(5);
    expect(shards.filter((s) => s.ParentShardId === 'shardId-000000000000')).toHaveLength(2);
    // A quiet interval changes nothing.
    env.clock.advance(1000);
    await env.server.streams.autoscaler.runOnce();
    expect((await kinesis.send(new ListShardsCommand({ StreamName: 'od', ShardFilter: { Type: 'AT_LATEST' } }))).Shards).toHaveLength(5);
  });

  it('leave PROVISIONED streams alone however hot', async () => {
    const { env, kinesis } = await open({ streams: { autoscale: { intervalMs: 1000, thresholdRatio: 0.5 } } });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'prov', ShardCount: 1 }));
    for (let i = 0; i < 2; i++) {
      await kinesis.send(new PutRecordsCommand({ StreamName: 'prov', Records: Array.from({ length: 300 }, () => ({ PartitionKey: 'k', Data: enc('x') })) }));
    }
    env.clock.advance(1000);
    expect(await env.server.streams.autoscaler.runOnce()).toBe(0);
    expect((await kinesis.send(new ListShardsCommand({ StreamName: 'prov' }))).Shards).toHaveLength(1);
  });
});
