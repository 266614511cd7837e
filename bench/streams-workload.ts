/**
 * The Kinesis workloads of bench/streams.ts, driven through one AWS SDK v3 KinesisClient so
 * every server sees identical client code: bulk PutRecords, sequential PutRecord, a
 * TRIM_HORIZON drain and put-to-get latency. Owns no processes; callers pass the client.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { summarizeLatencies, type LatencySummary } from './streams-stats.js';

const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
export const RECORD_BYTES = 1024;
/** Kinesis: PutRecords takes at most 500 records. */
export const BATCH_RECORDS = 500;
/** Kinesis: GetRecords returns at most 10,000 records. */
const GET_LIMIT = 10_000;
/** Distinct pre-built batches, so random payload generation stays out of the timed loop. */
const DISTINCT_BATCHES = 8;

/**
 * HTTP/1.1 keep-alive, 16 sockets; kinesalite speaks only HTTP/1.1, so both servers get this.
 * maxAttempts 1: a failed request fails the run instead of hiding inside an SDK retry.
 */
export function http1Client(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 16 }),
      connectionTimeout: 5_000,
      requestTimeout: 60_000,
    }),
  });
}

/** The stock client: endpoint, region and credentials only (its default handler is HTTP/2). */
export function stockClient(endpoint: string): KinesisClient {
  return new KinesisClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
}

/** Creates a stream and waits for ACTIVE; returns its shard ids. */
export async function createStream(client: KinesisClient, streamName: string, shardCount: number): Promise<string[]> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  for (let i = 0; i < 200; i++) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') {
      const shards = await client.send(new ListShardsCommand({ StreamName: streamName }));
      return (shards.Shards ?? []).map((s) => s.ShardId!);
    }
    await sleep(25);
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** Random 1 KiB records with random partition keys, so they spread over every shard. */
export function buildBatches(): PutRecordsRequestEntry[][] {
  return Array.from({ length: DISTINCT_BATCHES }, () =>
    Array.from({ length: BATCH_RECORDS }, () => ({ Data: randomBytes(RECORD_BYTES), PartitionKey: randomBytes(8).toString('hex') })),
  );
}

export interface ThroughputResult {
  records: number;
  failedRecords: number;
  seconds: number;
  recordsPerSecond: number;
  mibPerSecond: number;
}

export function throughput(records: number, failedRecords: number, startMs: number): ThroughputResult {
  const seconds = (performance.now() - startMs) / 1000;
  return { records, failedRecords, seconds, recordsPerSecond: records / seconds, mibPerSecond: (records * RECORD_BYTES) / 2 ** 20 / seconds };
}

/** PutRecords with `concurrency` requests in flight until `targetRecords` are sent or `maxMs` passes. */
export async function putRecordsThroughput(
  client: KinesisClient,
  streamName: string,
  batches: readonly PutRecordsRequestEntry[][],
  opts: { concurrency: number; targetRecords: number; maxMs: number },
): Promise<ThroughputResult> {
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + opts.maxMs;
  const worker = async () => {
    while (sent < opts.targetRecords && performance.now() < deadline) {
      const batch = batches[next++ % batches.length]!;
      sent += batch.length;
      const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: batch }));
      const batchFailed = out.FailedRecordCount ?? 0;
      failed += batchFailed;
      acked += batch.length - batchFailed;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return throughput(acked, failed, start);
}

/** Sequential single-record PutRecord calls; the first `warmup` calls are not measured. */
export async function putRecordLatency(client: KinesisClient, streamName: string, calls: number, warmup: number): Promise<LatencySummary> {
  const data = randomBytes(RECORD_BYTES);
  const samples: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    const start = performance.now();
    await client.send(new PutRecordCommand({ StreamName: streamName, Data: data, PartitionKey: `k${i}` }));
    if (i >= warmup) samples.push(performance.now() - start);
  }
  return summarizeLatencies(samples);
}

/** Reads every shard from TRIM_HORIZON to the tip in parallel (one reader per shard). */
export async function drain(client: KinesisClient, streamName: string, shardIds: readonly string[]): Promise<ThroughputResult> {
  const start = performance.now();
  let records = 0;
  await Promise.all(
    shardIds.map(async (shardId) => {
      const first = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
      let iterator = first.ShardIterator;
      while (iterator) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_LIMIT }));
        const n = out.Records?.length ?? 0;
        records += n;
        // kinesalite always reports MillisBehindLatest 0, so an empty read is the tip for both.
        if (n === 0) break;
        iterator = out.NextShardIterator;
      }
    }),
  );
  return throughput(records, 0, start);
}

export interface PutToGetResult extends LatencySummary {
  sent: number;
  /** GetRecords calls per second per consumer: the polling interval bounds the latency from below. */
  pollsPerSecondPerShard: number;
}

/**
 * One consumer per shard polls GetRecords (LATEST), pausing briefly after an empty poll, while a producer puts
 * timestamped 1 KiB records open-loop at `ratePerSecond`; latency is the time the consumer
 * sees a record minus the time just before its PutRecord call (same process, same clock).
 */
/** Pause after an empty GetRecords in the put→get test; it bounds the added latency. */
export const EMPTY_POLL_PAUSE_MS = 2;

export async function putToGetLatency(
  client: KinesisClient,
  streamName: string,
  shardIds: readonly string[],
  opts: { ratePerSecond: number; durationMs: number },
): Promise<PutToGetResult> {
  const total = Math.round((opts.ratePerSecond * opts.durationMs) / 1000);
  const seen = new Array<number>(total).fill(Number.NaN);
  let received = 0;
  let polls = 0;
  let stopping = false;
  const iterators = await Promise.all(
    shardIds.map(async (shardId) => (await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'LATEST' }))).ShardIterator),
  );
  const consumers = iterators.map(async (first) => {
    let iterator = first;
    while (iterator && !stopping) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_LIMIT }));
      const now = performance.now();
      polls++;
      for (const r of out.Records ?? []) {
        const data = Buffer.from(r.Data!);
        const index = data.readUInt32BE(8);
        if (index < total && Number.isNaN(seen[index]!)) {
          seen[index] = now - data.readDoubleBE(0);
          received++;
        }
      }
      iterator = out.NextShardIterator;
      // An empty poll waits a moment: four consumers spinning flat out would saturate this
      // client process, and the latency measured would be the client's own queueing.
      if ((out.Records ?? []).length === 0) await sleep(EMPTY_POLL_PAUSE_MS);
    }
  });
  const pad = randomBytes(RECORD_BYTES);
  const intervalMs = 1000 / opts.ratePerSecond;
  const puts: Promise<unknown>[] = [];
  const t0 = performance.now();
  const pollsAtStart = polls;
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    const data = Buffer.from(pad);
    data.writeUInt32BE(i, 8);
    data.writeDoubleBE(performance.now(), 0);
    puts.push(client.send(new PutRecordCommand({ StreamName: streamName, Data: data, PartitionKey: randomBytes(8).toString('hex') })));
  }
  await Promise.all(puts);
  const pollsPerSecondPerShard = (polls - pollsAtStart) / ((performance.now() - t0) / 1000) / shardIds.length;
  const giveUpAt = performance.now() + 5_000;
  while (received < total && performance.now() < giveUpAt) await sleep(10);
  stopping = true;
  await Promise.all(consumers);
  return { sent: total, pollsPerSecondPerShard, ...summarizeLatencies(seen.filter((v) => !Number.isNaN(v))) };
}
