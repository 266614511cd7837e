import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
  SplitShardCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { http1Kinesis, withProducerHeaders } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

let server: IngestProcess | null = null;
const clients: KinesisClient[] = [];
const enc = (s: string) => new TextEncoder().encode(s);

function client(endpoint: string): KinesisClient {
  const c = http1Kinesis(endpoint);
  clients.push(c);
  return c;
}

/** A client whose every request carries the idempotent-producer headers given by `seq()`. */
function producerClient(endpoint: string, producerId: string, seq: () => number): KinesisClient {
  return withProducerHeaders(client(endpoint), producerId, seq);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.stop();
  server?.cleanup();
  server = null;
});

describe('persistence', () => {
  it('keeps streams, records and shard lineage across a graceful restart', async () => {
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    let kinesis = client(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'keep', ShardCount: 1 }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'keep', Records: Array.from({ length: 50 }, (_, i) => ({ PartitionKey: `k${i}`, Data: enc(`a${i}`) })) }));
    await kinesis.send(new SplitShardCommand({ StreamName: 'keep', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '170141183460469231731687303715884105728' }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'keep', Records: Array.from({ length: 50 }, (_, i) => ({ PartitionKey: `k${i}`, Data: enc(`b${i}`) })) }));
    expect(await server.stop()).toBe(0);

    server = await startIngest({ dataDir });
    kinesis = client(server.endpoint);
    const records = await readFollowingLineage(kinesis, 'keep');
    expect(records.map((r) => r.data).sort()).toEqual([...Array.from({ length: 50 }, (_, i) => `a${i}`), ...Array.from({ length: 50 }, (_, i) => `b${i}`)].sort());
    // New writes continue the sequence after the restart.
    const more = await kinesis.send(new PutRecordsCommand({ StreamName: 'keep', Records: [{ PartitionKey: 'k0', Data: enc('c') }] }));
    const last = records.filter((r) => r.shardId === more.Records![0]!.ShardId).at(-1)!;
    expect(BigInt(more.Records![0]!.SequenceNumber!) > BigInt(last.sequenceNumber)).toBe(true);
  });
});

describe('data directory ownership', () => {
  it('refuses a second server on a data directory that is in use, naming it', async () => {
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    await expect(startIngest({ dataDir })).rejects.toThrow(/in use by another rivulet-ingest process/);
    // The first server is unaffected.
    await client(server.endpoint).send(new CreateStreamCommand({ StreamName: 'still-mine', ShardCount: 1 }));
  });
});

describe('idempotent producer', () => {
  it('answers a retried batch with the original result and stores it once, even across a kill -9', async () => {
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    await client(server.endpoint).send(new CreateStreamCommand({ StreamName: 'idem', ShardCount: 2 }));
    let seq = 7;
    const batch = { StreamName: 'idem', Records: Array.from({ length: 10 }, (_, i) => ({ PartitionKey: `p${i}`, Data: enc(`once-${i}`) })) };
    const first = await producerClient(server.endpoint, 'camera-1', () => seq).send(new PutRecordsCommand(batch));
    const retry = await producerClient(server.endpoint, 'camera-1', () => seq).send(new PutRecordsCommand(batch));
    expect(retry.Records).toEqual(first.Records);

    await server.kill();
    server = await startIngest({ dataDir });
    const afterCrash = await producerClient(server.endpoint, 'camera-1', () => seq).send(new PutRecordsCommand(batch));
    expect(afterCrash.Records).toEqual(first.Records);

    const stale = producerClient(server.endpoint, 'camera-1', () => seq - 1).send(new PutRecordsCommand(batch));
    await expect(stale).rejects.toMatchObject({ name: 'InvalidArgumentException' });

    seq = 8;
    const next = await producerClient(server.endpoint, 'camera-1', () => seq).send(new PutRecordsCommand(batch));
    expect(next.Records![0]!.SequenceNumber).not.toBe(first.Records![0]!.SequenceNumber);

    const all = await readFollowingLineage(client(server.endpoint), 'idem');
    expect(all.filter((r) => r.data === 'once-3')).toHaveLength(2); // batch 7 once, batch 8 once
    expect(all).toHaveLength(20);
  });

  it('runs without the headers as plain Kinesis does: a resend is stored again', async () => {
    server = await startIngest();
    const kinesis = client(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'plain', ShardCount: 1 }));
    const batch = { StreamName: 'plain', Records: [{ PartitionKey: 'k', Data: enc('x') }] };
    await kinesis.send(new PutRecordsCommand(batch));
    await kinesis.send(new PutRecordsCommand(batch));
    expect(await readFollowingLineage(kinesis, 'plain')).toHaveLength(2);
  });
});

describe('encryption at rest', () => {
  it('stores no payload or partition key in plaintext once encryption is on, and still reads it back', async () => {
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    const kinesis = client(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'secret', ShardCount: 1 }));
    // Written before encryption: must be findable, which proves the scan below can see payloads.
    await kinesis.send(new PutRecordsCommand({ StreamName: 'secret', Records: [{ PartitionKey: 'before-key', Data: enc('VISIBLE-MARKER-4242') }] }));
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    const res = await kinesis.send(
      new PutRecordsCommand({ StreamName: 'secret', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `hidden-key-${i}`, Data: enc(`HIDDEN-MARKER-${i}-9731`) })) }),
    );
    expect(res.EncryptionType).toBe('KMS');
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'secret', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(got.Records).toHaveLength(21);
    expect(new TextDecoder().decode(got.Records![5]!.Data)).toBe('HIDDEN-MARKER-4-9731');
    expect(got.Records![5]!.EncryptionType).toBe('KMS');
    expect(got.Records![0]!.EncryptionType).toBeUndefined();
    await kinesis.send(new StopStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    expect(await server.stop()).toBe(0);
    server = null;

    const files = filesUnder(dataDir).map((f) => readFileSync(f));
    // Payloads may be kept as the base64 text they arrived in, so look for both forms.
    const contains = (text: string) => files.some((b) => b.includes(Buffer.from(text)) || b.includes(Buffer.from(Buffer.from(text).toString('base64'))));
    expect(contains('VISIBLE-MARKER-4242')).toBe(true);
    for (let i = 0; i < 20; i++) expect(contains(`HIDDEN-MARKER-${i}-9731`)).toBe(false);
    expect(files.some((b) => b.includes(Buffer.from('HIDDEN-MARKER')))).toBe(false);
    expect(files.some((b) => b.includes(Buffer.from('hidden-key-')))).toBe(false);
    execFileSync('rm', ['-rf', dataDir]);
  });
});
