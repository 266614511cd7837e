/**
 * GET /metrics of a real rivulet-ingest process, after known traffic through the stock SDK
 * clients: Data Streams puts and reads on two streams and their shards, throttled puts and
 * reads, a Firehose delivery to a directory bucket that succeeds and one to an HTTP endpoint
 * that fails, and a running Analytics application. The counters must equal what was sent and
 * received, and the text must pass promtool and python's prometheus_client parser.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { CreateStreamCommand as CreateVideoStream, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, PutRecordCommand as FirehosePutRecord, type FirehoseClient } from '@aws-sdk/client-firehose';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES as N } from '@rivulet/shared';
import { putMedia } from '../../agent/src/uploaders/video/put-media-client.js';
import { mkvFile } from '../fixtures/mkv-ffmpeg.js';
import { createApplication, createStreams, eventually, jsonSchema, startApplication, streamOutput } from '../harness/analytics.js';
import { bucketObjects } from '../harness/buckets.js';
import { http1Kinesis, stockAnalytics, stockFirehose } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { promtoolCheck, pythonParse, samples, scrape, sumOf, valueOf, type Sample } from '../harness/prometheus.js';

let proc: IngestProcess;
let kinesis: KinesisClient;
let firehose: FirehoseClient;
let failing: Server;
let failingUrl = '';
let startedS = 0;
/** What the client saw: requests per streams action and status, and per shard records and bytes. */
const sent = new Map<string, number>();
const shardIn = new Map<string, { records: number; bytes: number }>();
const shardOut = new Map<string, { records: number; bytes: number }>();
let throttledRecords = 0;
let throttledReads = 0;

const count = (action: string, status: number, n = 1) => sent.set(`${action} ${status}`, (sent.get(`${action} ${status}`) ?? 0) + n);
const add = (map: Map<string, { records: number; bytes: number }>, stream: string, shard: string, records: number, bytes: number) => {
  const cur = map.get(`${stream}/${shard}`) ?? { records: 0, bytes: 0 };
  map.set(`${stream}/${shard}`, { records: cur.records + records, bytes: cur.bytes + bytes });
};

async function putRecords(stream: string, records: { data: string; key: string }[]): Promise<number> {
  const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records.map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.key })) }));
  count('PutRecords', 200);
  out.Records!.forEach((r, i) => {
    if (r.ShardId) add(shardIn, stream, r.ShardId, 1, Buffer.byteLength(records[i]!.data) + records[i]!.key.length);
  });
  return out.FailedRecordCount ?? 0;
}

async function metrics(): Promise<{ text: string; all: Sample[] }> {
  const text = await scrape(`${proc.endpoint}/metrics`);
  return { text, all: samples(text) };
}

beforeAll(async () => {
  failing = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"errorMessage":"told to fail"}'));
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  const addr = failing.address();
  failingUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/fail`;
  const dataDir = tempDir('rivulet-metrics-');
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({ streams: { limits: { writeRecordsPerSecond: 200, readCallsPerSecond: 5 } }, analytics: { commitSkewMs: 50 } }));
  startedS = Date.now() / 1000;
  proc = await startIngest({ dataDir, args: ['--config', config], env: { RIVULET_LOG_LEVEL: 'info' } });
  kinesis = http1Kinesis(proc.endpoint);
  firehose = stockFirehose(proc.endpoint);
}, 60_000);

afterAll(async () => {
  await proc?.stop();
  proc?.cleanup();
  await new Promise((r) => failing?.close(r));
});

describe('GET /metrics', () => {
  it('counts Data Streams traffic exactly per stream, shard and action, with throttles, iterator age and shards', async () => {
    await createStreams(kinesis, [['metrics-a', 2], ['metrics-b', 1], ['metrics-throttle', 1]]);
    // Records of known sizes: PutRecord one at a time, then PutRecords batches over many keys.
    for (let i = 0; i < 7; i++) {
      const data = `{"n":${i},"pad":"${'x'.repeat(i * 10)}"}`;
      const key = `key-${i}`;
      const out = await kinesis.send(new PutRecordCommand({ StreamName: 'metrics-a', Data: Buffer.from(data), PartitionKey: key }));
      count('PutRecord', 200);
      add(shardIn, 'metrics-a', out.ShardId!, 1, Buffer.byteLength(data) + key.length);
    }
    const batch = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ data: `${tag}-${i}-${'y'.repeat(i % 17)}`, key: `${tag}-${i}` }));
    expect(await putRecords('metrics-a', batch(60, 'a'))).toBe(0);
    expect(await putRecords('metrics-b', batch(45, 'b'))).toBe(0);
    // 300 records into one shard limited to 200 records/s: some are refused, per record.
    for (let i = 0; i < 3; i++) throttledRecords += await putRecords('metrics-throttle', batch(100, `t${i}`).map((r) => ({ ...r, key: 'one-key' })));
    expect(throttledRecords).toBeGreaterThan(0);

    // One GetRecords per shard reads it whole; then rapid reads of one shard run into 5 calls/s.
    for (const stream of ['metrics-a', 'metrics-b']) {
      const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
      count('ListShards', 200);
      for (const shard of Shards) {
        const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
        count('GetShardIterator', 200);
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }));
        count('GetRecords', 200);
        add(shardOut, stream, shard.ShardId!, page.Records!.length, page.Records!.reduce((n, r) => n + r.Data!.byteLength, 0));
      }
    }
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'metrics-throttle', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }));
    count('GetShardIterator', 200);
    for (let i = 0; i < 12; i++) {
      const refused = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! })).then(
        (page) => {
          add(shardOut, 'metrics-throttle', 'shardId-000000000000', page.Records!.length, 0);
          return false;
        },
        (err: { name: string }) => {
          expect(err.name).toBe('ProvisionedThroughputExceededException');
          return true;
        },
      );
      count('GetRecords', refused ? 400 : 200);
      if (refused) throttledReads++;
    }
    expect(throttledReads).toBeGreaterThan(0);

    const { all } = await metrics();
    for (const [key, want] of shardIn) {
      const [stream, shard] = key.split('/') as [string, string];
      expect(valueOf(all, N.streamIncomingRecords, { stream, shard }), key).toBe(want.records);
      expect(valueOf(all, N.streamIncomingBytes, { stream, shard }), key).toBe(want.bytes);
    }
    expect(sumOf(all, N.streamIncomingRecords, { stream: 'metrics-a' })).toBe(7 + 60);
    expect(sumOf(all, N.streamIncomingRecords, { stream: 'metrics-throttle' })).toBe(300 - throttledRecords);
    for (const [key, want] of shardOut) {
      const [stream, shard] = key.split('/') as [string, string];
      expect(valueOf(all, N.streamOutgoingRecords, { stream, shard }), key).toBe(want.records);
      expect(valueOf(all, N.streamOutgoingBytes, { stream, shard }), key).toBe(want.bytes);
      expect(valueOf(all, N.streamIteratorAge, { stream, shard }), key).toBe(0);
    }
    expect(sumOf(all, N.streamOutgoingRecords, { stream: 'metrics-a' })).toBe(67);
    for (const [key, want] of sent) {
      const [action, status] = key.split(' ') as [string, string];
      expect(valueOf(all, N.requests, { service: 'streams', action, status }), key).toBe(want);
    }
    expect(valueOf(all, N.throttled, { service: 'streams', action: 'PutRecords' })).toBe(throttledRecords);
    expect(valueOf(all, N.throttled, { service: 'streams', action: 'GetRecords' })).toBe(throttledReads);
    expect(valueOf(all, N.streamShards, { stream: 'metrics-a' })).toBe(2);
    expect(valueOf(all, N.streamShards, { stream: 'metrics-b' })).toBe(1);
  });

  it('counts Firehose records in, deliveries that succeed to a directory bucket and fail at an HTTP endpoint', async () => {
    const hints = { SizeInMBs: 1, IntervalInSeconds: 1 };
    await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'fh-ok', ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::metrics-ok', BufferingHints: hints } }));
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'fh-http',
        HttpEndpointDestinationConfiguration: {
          EndpointConfiguration: { Url: failingUrl, Name: 'fails' },
          BufferingHints: hints,
          RetryOptions: { DurationInSeconds: 0 },
          S3Configuration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::metrics-errors' },
        },
      }),
    );
    const records = Array.from({ length: 10 }, (_, i) => Buffer.from(`{"i":${i},"pad":"${'z'.repeat(i)}"}\n`));
    const bytes = records.reduce((n, r) => n + r.byteLength, 0);
    await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'fh-ok', Records: records.map((Data) => ({ Data })) }));
    await firehose.send(new FirehosePutRecord({ DeliveryStreamName: 'fh-ok', Record: { Data: Buffer.from('one more\n') } }));
    await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'fh-http', Records: records.map((Data) => ({ Data })) }));

    const delivered = (all: Sample[]) => valueOf(all, N.firehoseDeliveredRecords, { delivery_stream: 'fh-ok', destination: 's3' }) === 11 && valueOf(all, N.firehoseDeliveredRecords, { delivery_stream: 'fh-http', destination: 'error_output' }) === 10;
    const { all } = await eventually(metrics, ({ all }) => delivered(all), 30_000);
    expect(delivered(all)).toBe(true);
    expect(valueOf(all, N.firehoseIncomingRecords, { delivery_stream: 'fh-ok' })).toBe(11);
    expect(valueOf(all, N.firehoseIncomingBytes, { delivery_stream: 'fh-ok' })).toBe(bytes + 'one more\n'.length);
    expect(valueOf(all, N.firehoseIncomingRecords, { delivery_stream: 'fh-http' })).toBe(10);
    expect(valueOf(all, N.firehoseDeliveredBytes, { delivery_stream: 'fh-ok', destination: 's3' })).toBe(bytes + 'one more\n'.length);
    // One successful attempt per object written to the directory bucket; none failed.
    const objects = bucketObjects(join(proc.dataDir, 'firehose', 'buckets', 'metrics-ok'));
    expect(valueOf(all, N.firehoseDeliverySuccess, { delivery_stream: 'fh-ok', destination: 's3' })).toBe(objects.size);
    expect(valueOf(all, N.firehoseDeliveryFailures, { delivery_stream: 'fh-ok', destination: 's3' })).toBeUndefined();
    // The endpoint refused the batch: a failed attempt, nothing delivered there, the records in the error output.
    expect(valueOf(all, N.firehoseDeliveryFailures, { delivery_stream: 'fh-http', destination: 'http_endpoint' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(all, N.firehoseDeliveredRecords, { delivery_stream: 'fh-http', destination: 'http_endpoint' })).toBeUndefined();
    expect(valueOf(all, N.firehoseDeliverySuccess, { delivery_stream: 'fh-http', destination: 'error_output' })).toBe(1);
    expect(valueOf(all, N.firehoseBufferedRecords, { delivery_stream: 'fh-ok' })).toBe(0);
    expect(valueOf(all, N.firehoseBufferedBytes, { delivery_stream: 'fh-ok' })).toBe(0);
    expect(valueOf(all, N.firehoseDataFreshness, { delivery_stream: 'fh-ok' })).toBe(0);
    expect(valueOf(all, N.firehoseLastDelivery, { delivery_stream: 'fh-ok' })).toBeGreaterThan(startedS);
    expect(valueOf(all, N.requests, { service: 'firehose', action: 'PutRecordBatch', status: '200' })).toBe(2);
    expect(valueOf(all, N.requests, { service: 'firehose', action: 'PutRecord', status: '200' })).toBe(1);
    expect(valueOf(all, N.requests, { service: 'firehose', action: 'CreateDeliveryStream', status: '200' })).toBe(2);
  });

  it('reports an Analytics application’s rows in and out, error_stream rows and its lag', async () => {
    const analytics = stockAnalytics(proc.endpoint);
    await createStreams(kinesis, [['kda-in', 1], ['kda-out', 1]]);
    const code = 'CREATE OR REPLACE STREAM "OUT" (v DOUBLE);\nCREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM v FROM "SOURCE_SQL_STREAM_001";';
    await createApplication(analytics, { name: 'metrics-app', code, input: 'kda-in', schema: jsonSchema([['V', 'DOUBLE']]), outputs: [streamOutput('OUT', 'kda-out')] });
    await startApplication(analytics, 'metrics-app');
    const rows = Array.from({ length: 20 }, (_, i) => ({ data: JSON.stringify({ v: i * 1.5 }), key: `k${i}` }));
    expect(await putRecords('kda-in', [...rows, { data: 'not json at all', key: 'bad' }])).toBe(0);
    const done = (all: Sample[]) => valueOf(all, N.analyticsOutputRows, { application: 'metrics-app' }) === 20 && valueOf(all, N.analyticsLag, { application: 'metrics-app' }) === 0;
    const { all } = await eventually(metrics, ({ all }) => done(all), 30_000);
    expect(valueOf(all, N.analyticsInputRows, { application: 'metrics-app' })).toBe(20);
    expect(valueOf(all, N.analyticsOutputRows, { application: 'metrics-app' })).toBe(20);
    expect(valueOf(all, N.analyticsErrors, { application: 'metrics-app' })).toBe(1);
    expect(valueOf(all, N.analyticsLag, { application: 'metrics-app' })).toBe(0);
    expect(valueOf(all, N.requests, { service: 'analytics', action: 'CreateApplication', status: '200' })).toBe(1);
    expect(valueOf(all, N.requests, { service: 'analytics', action: 'StartApplication', status: '200' })).toBe(1);
    // The application's output went into kda-out through the server's own writer.
    expect(sumOf(all, N.streamIncomingRecords, { stream: 'kda-out' })).toBe(20);
  });

  it('counts PutMedia fragments persisted and body bytes per video stream', async () => {
    const kvs = new KinesisVideoClient({ endpoint: proc.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await kvs.send(new CreateVideoStream({ StreamName: 'metrics-cam', DataRetentionInHours: 1 }));
    kvs.destroy();
    const file = join(proc.dataDir, 'clip.mkv');
    const bytes = await mkvFile({ seconds: 1, preset: 'ultrafast' });
    writeFileSync(file, bytes);
    for (let i = 0; i < 2; i++) {
      const result = await putMedia({ endpoint: proc.endpoint, streamName: 'metrics-cam', file, producerTimestampMs: Date.now() + i * 5_000, region: 'us-east-1', credentials: null, nowMs: Date.now(), timeoutMs: 30_000 });
      expect(result.kind).toBe('persisted');
    }
    const done = (all: Sample[]) => valueOf(all, N.videoIncomingBytes, { stream: 'metrics-cam' }) === 2 * bytes.byteLength && valueOf(all, N.requests, { service: 'video', action: 'PutMedia', status: '200' }) === 2;
    const { all } = await eventually(metrics, ({ all }) => done(all), 10_000);
    expect(valueOf(all, N.videoFragments, { stream: 'metrics-cam' })).toBe(2);
    expect(valueOf(all, N.videoIncomingBytes, { stream: 'metrics-cam' })).toBe(2 * bytes.byteLength);
    expect(valueOf(all, N.requests, { service: 'video', action: 'CreateStream', status: '200' })).toBe(1);
  });

  it('keeps the latency histogram in step with the request counters and measures every LevelDB', async () => {
    const { all } = await metrics();
    const histograms = all.filter((s) => s.name === `${N.requestDuration}_count`);
    expect(histograms.length).toBeGreaterThan(5);
    for (const h of histograms) {
      const { service, action } = h.labels as { service: string; action: string };
      expect(h.value, `${service} ${action}`).toBe(sumOf(all, N.requests, { service, action }));
      expect(valueOf(all, `${N.requestDuration}_bucket`, { service, action, le: '+Inf' })).toBe(h.value);
    }
    for (const store of ['streams', 'video', 'firehose', 'analytics']) expect(valueOf(all, N.leveldbSize, { store }), store).toBeGreaterThan(0);
    expect(valueOf(all, 'rivulet_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('passes promtool and python’s prometheus_client parser, which read the same values', async () => {
    const { text, all } = await metrics();
    // promtool parses the whole text and lints it (base units, _total only on counters, HELP on
    // every family): exit 0 with no output means no parse error and no lint remark.
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });

    const parsed = pythonParse(text);
    const py = (name: string, labels: Record<string, string>) => parsed.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const put = { service: 'streams', action: 'PutRecords', status: '200' };
    expect(py(N.requests, put)).toBe(valueOf(all, N.requests, put));
    const shard = { stream: 'metrics-b', shard: 'shardId-000000000000' };
    expect(py(N.streamIncomingBytes, shard)).toBe(valueOf(all, N.streamIncomingBytes, shard));
    expect(parsed.find((s) => s.name === N.requests)?.type).toBe('counter');
    expect(parsed.find((s) => s.name === `${N.requestDuration}_bucket`)?.type).toBe('histogram');
  });
});
