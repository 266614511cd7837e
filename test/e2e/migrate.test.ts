/**
 * `rivulet migrate` end to end: a real rivulet-ingest on LevelDB gets records through the stock
 * SDK (one stream split mid-way), is stopped, and `rivulet migrate` (a child process) moves its
 * streams to a real 3-node JetStream cluster. A rivulet-ingest started on that cluster with the
 * same data dir then serves every record at the same shard and sequence number, the shard map
 * is the same, an iterator issued before the migration still reads, and new writes continue the
 * sequence; an encrypted stream reads back through the key store in the data dir. A rerun reports the streams as unchanged (the records written since are the target's).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  StartStreamEncryptionCommand,
  waitUntilStreamExists,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import { http1Kinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { startNatsCluster, type NatsCluster } from '../harness/nats-cluster.js';

interface Seen {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
  arrivalMs: number;
}

async function createStream(k: KinesisClient, name: string, shards: number): Promise<void> {
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitUntilStreamExists({ client: k, maxWaitTime: 30 }, { StreamName: name });
}

async function put(k: KinesisClient, stream: string, tag: string, batches: number, perBatch: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const Records = Array.from({ length: perBatch }, (_, i) => ({ PartitionKey: `key-${(b * perBatch + i) % 13}`, Data: Buffer.from(`${tag}-${b}-${i}`) }));
    const out = await k.send(new PutRecordsCommand({ StreamName: stream, Records }));
    expect(out.FailedRecordCount).toBe(0);
  }
}

async function shardsOf(k: KinesisClient, stream: string): Promise<Shard[]> {
  return (await k.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
}

async function readFrom(k: KinesisClient, shardId: string, iterator: string | undefined): Promise<Seen[]> {
  const out: Seen[] = [];
  while (iterator !== undefined) {
    const page = await k.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of page.Records ?? []) {
      out.push({ shardId, sequenceNumber: r.SequenceNumber!, partitionKey: r.PartitionKey!, data: Buffer.from(r.Data!).toString(), arrivalMs: r.ApproximateArrivalTimestamp!.getTime() });
    }
    if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
    iterator = page.NextShardIterator;
  }
  return out;
}

/** Every record of every shard (closed parents included), from TRIM_HORIZON. */
async function readAll(k: KinesisClient, stream: string): Promise<Seen[]> {
  const out: Seen[] = [];
  for (const shard of await shardsOf(k, stream)) {
    const { ShardIterator } = await k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    out.push(...(await readFrom(k, shard.ShardId!, ShardIterator)));
  }
  return out;
}

describe('rivulet migrate (LevelDB → JetStream)', () => {
  const dataDir = tempDir('rivulet-migrate-');
  let cluster: NatsCluster;
  let leveldb: IngestProcess | undefined;
  let jetstream: IngestProcess | undefined;

  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 60_000);

  afterAll(async () => {
    await leveldb?.stop();
    await jetstream?.stop();
    await cluster?.stop();
    cluster?.cleanup();
    leveldb?.cleanup();
  }, 60_000);

  it('moves every record with its sequence number, keeps issued iterators working, and resumes as a no-op', async () => {
    leveldb = await startIngest({ dataDir });
    const k = http1Kinesis(leveldb.endpoint);
    await createStream(k, 'orders', 2);
    await createStream(k, 'events', 1);
    await put(k, 'orders', 'o', 30, 20);
    await put(k, 'events', 'before-split', 10, 10);
    await k.send(new SplitShardCommand({ StreamName: 'events', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
    await waitUntilStreamExists({ client: k, maxWaitTime: 30 }, { StreamName: 'events' });
    await put(k, 'events', 'after-split', 10, 10);
    // Encrypted at rest: the bodies move as they are, and the key store stays in the data dir.
    await createStream(k, 'secure', 1);
    await k.send(new StartStreamEncryptionCommand({ StreamName: 'secure', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    await waitUntilStreamExists({ client: k, maxWaitTime: 30 }, { StreamName: 'secure' });
    await put(k, 'secure', 'secret', 5, 10);

    const before = { orders: await readAll(k, 'orders'), events: await readAll(k, 'events'), secure: await readAll(k, 'secure') };
    expect(before.orders).toHaveLength(600);
    expect(before.events).toHaveLength(200);
    expect(before.secure).toHaveLength(50);
    const shardsBefore = { orders: await shardsOf(k, 'orders'), events: await shardsOf(k, 'events') };
    expect(shardsBefore.events).toHaveLength(3);
    // An iterator issued before the migration, at the 101st record of orders' first shard.
    const firstShard = before.orders.filter((r) => r.shardId === 'shardId-000000000000');
    const { ShardIterator: issued } = await k.send(
      new GetShardIteratorCommand({ StreamName: 'orders', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: firstShard[100]!.sequenceNumber }),
    );
    k.destroy();

    const migrateArgs = ['migrate', '--data-dir', dataDir, '--to', 'jetstream', '--servers', cluster.servers.join(','), '--replicas', '3', '--prefix', 'mig'];
    const whileRunning = await runCli(migrateArgs);
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toBe(`rivulet: InvalidInputError: ${dataDir} is in use by a running rivulet-ingest: stop it before migrating\n`);

    expect(await leveldb.stop()).toBe(0);
    const migrated = await runCli([...migrateArgs, '--json'], { timeoutMs: 120_000 });
    expect(migrated.stderr).toMatch(/^migrate \(\d+ chunks\) \[#{24}\] 100% 850\/850 records {2}[\d.]+\/s\n$/);
    expect(migrated.code).toBe(0);
    const summary = JSON.parse(migrated.stdout) as { Records: number; Streams: { Name: string; Outcome: string; Records: number; Shards: number }[] };
    expect(summary).toMatchObject({ Records: 850, IteratorSecretCopied: true, ProducerStatesCopied: true });
    expect(summary.Streams.map((s) => [s.Name, s.Outcome, s.Records, s.Shards])).toEqual([
      ['events', 'copied', 200, 3],
      ['orders', 'copied', 600, 2],
      ['secure', 'copied', 50, 1],
    ]);

    // Out of the way, so a server that quietly fell back to LevelDB would find no streams.
    renameSync(join(dataDir, 'streams'), join(dataDir, 'streams.leveldb'));
    const config = join(dataDir, 'jetstream.json');
    writeFileSync(config, JSON.stringify({ storage: { engine: 'jetstream', servers: cluster.servers, replicas: 3, prefix: 'mig' } }));
    jetstream = await startIngest({ dataDir, args: ['--config', config] });
    const j = http1Kinesis(jetstream.endpoint);
    try {
      expect(await shardsOf(j, 'orders')).toEqual(shardsBefore.orders);
      expect(await shardsOf(j, 'events')).toEqual(shardsBefore.events);
      expect(await readAll(j, 'orders')).toEqual(before.orders);
      expect(await readAll(j, 'events')).toEqual(before.events);
      expect(await readAll(j, 'secure')).toEqual(before.secure);
      expect(await readFrom(j, 'shardId-000000000000', issued)).toEqual(firstShard.slice(100));

      // New writes continue each shard's sequence.
      const out = await j.send(new PutRecordsCommand({ StreamName: 'orders', Records: [{ PartitionKey: 'key-0', Data: Buffer.from('after migration') }] }));
      const shardId = out.Records![0]!.ShardId!;
      const lastBefore = before.orders.filter((r) => r.shardId === shardId).at(-1)!;
      expect(BigInt(out.Records![0]!.SequenceNumber!)).toBeGreaterThan(BigInt(lastBefore.sequenceNumber));
    } finally {
      j.destroy();
    }
    await jetstream.stop();
    renameSync(join(dataDir, 'streams.leveldb'), join(dataDir, 'streams'));

    const again = await runCli([...migrateArgs, '--json'], { timeoutMs: 120_000 });
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as typeof summary).Streams.map((s) => s.Outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  }, 240_000);
});
