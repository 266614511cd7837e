/**
 * Kill -9 durability: a producer process writes PutRecords batches while rivulet-ingest is
 * SIGKILLed and restarted on the same data directory five times. Every record the server
 * acknowledged must then be readable, at the sequence number and shard it was acknowledged with,
 * and each shard's sequence numbers must strictly increase.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, CreateStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1Kinesis } from '../harness/clients.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const STREAM = 'durability';
const SHARDS = 4;
const KILLS = 5;
const KILL_DELAY_MIN_MS = 300;
const KILL_DELAY_MAX_MS = 1_500;
/** Acknowledged records the producer must reach before the first kill and after each restart. */
const PROGRESS_RECORDS = 200;
const PROGRESS_TIMEOUT_MS = 15_000;
const MIN_ACKED = 1_000;
const PRODUCER = join(REPO_ROOT, 'test/e2e/fixtures/put-load.ts');

interface Acked {
  id: string;
  sequenceNumber: string;
  shardId: string;
}

interface ReadRecord {
  sequenceNumber: string;
  shardId: string;
}

/** Complete lines only: a line cut short by the producer's SIGKILL was never fully acknowledged. */
function readAcked(file: string): Acked[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, sequenceNumber, shardId] = line.split(' ') as [string, string, string];
      return { id, sequenceNumber, shardId };
    });
}

async function waitForAcked(file: string, atLeast: number, producer: () => string): Promise<number> {
  const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
  for (;;) {
    const count = readAcked(file).length;
    if (count >= atLeast) return count;
    if (Date.now() > deadline) throw new Error(`producer stuck at ${count} acknowledged records (wanted ${atLeast}):\n${producer()}`);
    await sleep(50);
  }
}

/** Reads one shard from TRIM_HORIZON until a call returns no records and MillisBehindLatest 0. */
async function readShard(kinesis: KinesisClient, shardId: string): Promise<{ id: string; sequenceNumber: string }[]> {
  const out: { id: string; sequenceNumber: string }[] = [];
  let { ShardIterator: iterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  while (iterator !== undefined) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    const records = page.Records ?? [];
    for (const r of records) {
      const text = Buffer.from(r.Data ?? new Uint8Array()).toString('utf8');
      out.push({ id: text.slice(0, text.indexOf('|')), sequenceNumber: r.SequenceNumber ?? '' });
    }
    if (records.length === 0 && page.MillisBehindLatest === 0) break;
    iterator = page.NextShardIterator;
  }
  return out;
}

describe('kill -9 durability', () => {
  const workDir = tempDir('rivulet-durability-');
  const dataDir = join(workDir, 'data');
  const configFile = join(workDir, 'config.json');
  const endpointFile = join(workDir, 'endpoint');
  const ackedFile = join(workDir, 'acked.txt');
  const args = ['--config', configFile];
  let server: IngestProcess | null = null;
  let producer: ChildProcess | null = null;
  let producerOutput = '';

  function publishEndpoint(endpoint: string): void {
    // Write then rename, so the producer never reads a half-written endpoint.
    writeFileSync(`${endpointFile}.tmp`, endpoint);
    renameSync(`${endpointFile}.tmp`, endpointFile);
  }

  beforeAll(async () => {
    // Limits off: the producer writes far more than 1000 records/s per shard.
    writeFileSync(configFile, JSON.stringify({ streams: { limits: { enabled: false } } }));
    server = await startIngest({ dataDir, args });
  });

  afterAll(async () => {
    if (producer && producer.exitCode === null && producer.signalCode === null) producer.kill('SIGKILL');
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged record, in order, across five SIGKILLs under load', { timeout: 90_000 }, async () => {
    const setup = http1Kinesis(server!.endpoint);
    await setup.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
    setup.destroy();

    publishEndpoint(server!.endpoint);
    producer = spawn(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', PRODUCER, endpointFile, STREAM, ackedFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    producer.stdout?.on('data', (c: Buffer) => (producerOutput += c.toString()));
    producer.stderr?.on('data', (c: Buffer) => (producerOutput += c.toString()));
    const producerExited = new Promise<void>((resolve) => producer!.once('exit', () => resolve()));

    let acked = await waitForAcked(ackedFile, PROGRESS_RECORDS, () => producerOutput);
    const delays: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const delayMs = Math.round(KILL_DELAY_MIN_MS + Math.random() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS));
      delays.push(delayMs);
      await sleep(delayMs);
      await server!.kill();
      server = await startIngest({ dataDir, args });
      publishEndpoint(server.endpoint);
      // The producer must find the new port and get acknowledgements from the restarted server.
      acked = await waitForAcked(ackedFile, readAcked(ackedFile).length + PROGRESS_RECORDS, () => producerOutput);
    }
    await sleep(300);
    producer.kill('SIGKILL');
    await producerExited;

    const ackedRecords = readAcked(ackedFile);
    console.log(`durability: kill delays ${delays.join(', ')} ms; ${ackedRecords.length} records acknowledged (${acked} at the last restart check)`);
    expect(ackedRecords.length).toBeGreaterThan(MIN_ACKED);

    // The producer moves on after an acknowledgement, so no id is acknowledged twice.
    const ackedIds = new Set(ackedRecords.map((a) => a.id));
    expect(ackedIds.size).toBe(ackedRecords.length);

    const reader = http1Kinesis(server!.endpoint);
    const { Shards: shards = [] } = await reader.send(new ListShardsCommand({ StreamName: STREAM }));
    expect(shards).toHaveLength(SHARDS);
    const readById = new Map<string, ReadRecord[]>();
    let readTotal = 0;
    for (const shard of shards) {
      const shardId = shard.ShardId!;
      const records = await readShard(reader, shardId);
      readTotal += records.length;
      for (let i = 1; i < records.length; i++) {
        const [prev, next] = [BigInt(records[i - 1]!.sequenceNumber), BigInt(records[i]!.sequenceNumber)];
        if (next <= prev) expect.fail(`${shardId}: sequence ${next} follows ${prev} at index ${i}`);
      }
      for (const r of records) {
        const seen = readById.get(r.id) ?? [];
        seen.push({ sequenceNumber: r.sequenceNumber, shardId });
        readById.set(r.id, seen);
      }
    }
    reader.destroy();

    // A batch retried after a lost response may be stored twice; only acknowledged copies count.
    const duplicates = [...readById.values()].filter((copies) => copies.length > 1).length;
    console.log(`durability: read back ${readTotal} records, ${readById.size} distinct ids, ${duplicates} ids stored more than once`);

    const missing = ackedRecords.filter((a) => !readById.has(a.id));
    expect(missing.slice(0, 20), `${missing.length} acknowledged records are missing`).toEqual([]);
    const moved = ackedRecords.filter((a) => !readById.get(a.id)!.some((r) => r.sequenceNumber === a.sequenceNumber && r.shardId === a.shardId));
    expect(
      moved.slice(0, 20).map((a) => ({ ...a, read: readById.get(a.id) })),
      `${moved.length} acknowledged records were read at another sequence number or shard`,
    ).toEqual([]);
  });
});
