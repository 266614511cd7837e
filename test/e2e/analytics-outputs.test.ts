/**
 * Analytics outputs end to end with the stock SDK clients: a KDA SQL application delivering to a
 * Firehose delivery stream (CSV into a directory bucket), to a Lambda function (the KDA "Using a
 * Lambda Function as Output" event and response, with failed deliveries retried), and to a data
 * stream as JSON with TIMESTAMP columns; then AddApplicationOutput / DeleteApplicationOutput with
 * version checks, and an output naming an in-application stream the code does not create.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  AddApplicationOutputCommand,
  DeleteApplicationOutputCommand,
  DescribeApplicationCommand,
  type KinesisAnalyticsClient,
} from '@aws-sdk/client-kinesis-analytics';
import { CreateDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, ROLE, createApplication, createStreams, eventually, jsonSchema, readStream, startApplication, streamArn, streamOutput } from '../harness/analytics.js';
import { bucketLines, bucketRoot } from '../harness/buckets.js';
import { stockAnalytics, stockFirehose, stockKinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

/** What the Lambda endpoint received, and how it answered (KDA's output delivery event). */
interface LambdaEvent {
  invocationId: string;
  applicationArn: string;
  records: { recordId: string; lambdaDeliveryRecordMetadata: { retryHint: number }; data: string }[];
}
interface Invocation {
  event: LambdaEvent;
  answer: 'http-500' | 'delivery-failed' | 'ok';
}

let proc: IngestProcess;
let kinesis: KinesisClient;
let analytics: KinesisAnalyticsClient;
let firehose: FirehoseClient;
let lambda: Server;
const invocations: Invocation[] = [];
/** Answers, in order, for the next invocations; 'ok' once it runs out. */
const script: Invocation['answer'][] = [];

const appArn = (name: string) => `arn:aws:kinesisanalytics:us-east-1:${ACCOUNT}:application/${name}`;
const SINK_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:kda-sink`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

function startLambda(): Promise<number> {
  lambda = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const event = JSON.parse(body) as LambdaEvent;
      const answer = script.shift() ?? 'ok';
      invocations.push({ event, answer });
      if (answer === 'http-500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"errorMessage":"sink is down"}');
        return;
      }
      // KDA: each record is acknowledged Ok or DeliveryFailed; here the first one of the batch fails.
      const records = event.records.map((r, i) => ({ recordId: r.recordId, result: answer === 'delivery-failed' && i === 0 ? 'DeliveryFailed' : 'Ok' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ records }));
    });
  });
  return new Promise((resolve) => lambda.listen(0, '127.0.0.1', () => resolve((lambda.address() as AddressInfo).port)));
}

async function put(stream: string, rows: readonly object[]): Promise<void> {
  const records = rows.map((r, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(JSON.stringify(r)) }));
  expect((await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }))).FailedRecordCount).toBe(0);
}

async function detail(name: string) {
  return (await analytics.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
}

/**
 * Each application reads its own fresh stream, so TRIM_HORIZON reads the same records as NOW; NOW
 * can miss a record put right after StartApplication returns (a race reported separately).
 */
async function start(name: string): Promise<void> {
  await startApplication(analytics, name);
}

const failure = (call: Promise<unknown>) => call.then(() => null, (e: unknown) => e as { name: string; message: string });

beforeAll(async () => {
  const port = await startLambda();
  const dataDir = tempDir('rivulet-kda-outputs-');
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({ analytics: { commitSkewMs: 200, maxRetryDelayMs: 500 }, firehose: { functions: { 'kda-sink': { url: `http://127.0.0.1:${port}/` } } } }));
  proc = await startIngest({ dataDir, args: ['--config', config] });
  kinesis = stockKinesis(proc.endpoint);
  analytics = stockAnalytics(proc.endpoint);
  firehose = stockFirehose(proc.endpoint);
  await createStreams(kinesis, ['fh-in', 'lambda-in', 'ts-in', 'ts-out', 'multi-in', 'multi-a', 'multi-b', 'fan-in', 'fan-a', 'fan-b'].map((name) => [name, 1] as const));
});

afterAll(async () => {
  kinesis?.destroy();
  analytics?.destroy();
  firehose?.destroy();
  await proc?.kill();
  proc?.cleanup();
  await new Promise((r) => (lambda ? lambda.close(r) : r(undefined)));
});

const TRADE_SCHEMA = jsonSchema([['TICKER', 'VARCHAR(4)'], ['PRICE', 'DOUBLE'], ['NOTE', 'VARCHAR(16)']]);
const TICKER_PRICE_SCHEMA = jsonSchema([['TICKER', 'VARCHAR(4)'], ['PRICE', 'DOUBLE']]);
const FILTER_CODE = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE, note VARCHAR(16));
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker, price, note FROM "SOURCE_SQL_STREAM_001" WHERE price > 100;`;

/** Two in-application streams carrying the same rows, so that each can have its own output. */
const TWO_STREAMS_CODE = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE);
CREATE OR REPLACE STREAM "ECHO_STREAM" (ticker VARCHAR(4), price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM ticker, price FROM "SOURCE_SQL_STREAM_001";
CREATE OR REPLACE PUMP "ECHO_PUMP" AS INSERT INTO "ECHO_STREAM" SELECT STREAM ticker, price FROM "SOURCE_SQL_STREAM_001";`;

describe('Analytics application outputs', () => {
  it('delivers a filter as CSV records through a Firehose delivery stream into a directory bucket', async () => {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'kda-csv',
        ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::kda-csv-bucket', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
      }),
    );
    const toFirehose = {
      Name: 'DESTINATION_SQL_STREAM',
      KinesisFirehoseOutput: { ResourceARN: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/kda-csv`, RoleARN: ROLE },
      DestinationSchema: { RecordFormatType: 'CSV' as const },
    };
    await createApplication(analytics, { name: 'to-firehose', code: FILTER_CODE, input: 'fh-in', schema: TRADE_SCHEMA, outputs: [toFirehose] });
    await start('to-firehose');
    const trades = [
      { ticker: 'AMZN', price: 101.25, note: 'plain' },
      { ticker: 'MSFT', price: 99.5, note: 'filtered out' },
      { ticker: 'AAPL', price: 150.75, note: 'a,b' },
      { ticker: 'IBM', price: 100, note: 'not above 100' },
      { ticker: 'ORCL', price: 200.5, note: 'say "hi"' },
      { ticker: 'NFLX', price: 300.125, note: null },
    ];
    await put('fh-in', trades);
    // RFC 4180, as KDA writes CSV: a field holding a comma or a quote is quoted, quotes doubled; NULL is empty.
    const expected = ['AMZN,101.25,plain', 'AAPL,150.75,"a,b"', 'ORCL,200.5,"say ""hi"""', 'NFLX,300.125,'];
    const root = bucketRoot(proc.dataDir, 'kda-csv-bucket');
    const lines = await eventually(async () => bucketLines(root), (l) => l.length >= expected.length, 15_000);
    expect([...lines].sort()).toEqual([...expected].sort());
  });

  it('invokes a Lambda output with the KDA event, and retries failed deliveries until every row is accepted', async () => {
    const toLambda = { Name: 'DESTINATION_SQL_STREAM', LambdaOutput: { ResourceARN: SINK_ARN, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' as const } };
    await createApplication(analytics, { name: 'to-lambda', code: FILTER_CODE, input: 'lambda-in', schema: TRADE_SCHEMA, outputs: [toLambda] });
    expect((await detail('to-lambda')).OutputDescriptions?.[0]?.LambdaOutputDescription?.ResourceARN).toBe(SINK_ARN);
    await start('to-lambda');
    // The endpoint is down for two invocations, then fails one record of a batch, then accepts everything.
    script.push('http-500', 'http-500', 'delivery-failed');
    const trades = Array.from({ length: 20 }, (_, i) => ({ ticker: ['AMZN', 'MSFT'][i % 2]!, price: 101 + i, note: `t${i}` }));
    await put('lambda-in', trades);

    const rowOf = (r: { data: string }) => JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')) as { TICKER: string; PRICE: number; NOTE: string };
    const accepted = (list: Invocation[]) =>
      list.flatMap((inv) => (inv.answer === 'ok' ? inv.event.records : inv.answer === 'delivery-failed' ? inv.event.records.slice(1) : [])).map((r) => rowOf(r).NOTE);
    const done = await eventually(async () => [...invocations], (list) => new Set(accepted(list)).size >= trades.length, 20_000);

    // Every invocation has the documented shape.
    for (const { event } of done) {
      expect(event.invocationId).toMatch(UUID);
      expect(event.applicationArn).toBe(appArn('to-lambda'));
      for (const r of event.records) {
        expect(r.recordId).toMatch(UUID);
        expect(typeof r.lambdaDeliveryRecordMetadata.retryHint).toBe('number');
        expect(Object.keys(rowOf(r)).sort()).toEqual(['NOTE', 'PRICE', 'TICKER']);
      }
      expect(new Set(event.records.map((r) => r.recordId)).size).toBe(event.records.length);
    }
    expect(new Set(done.map((i) => i.event.invocationId)).size).toBe(done.length);
    expect(done.slice(0, 3).map((i) => i.answer)).toEqual(['http-500', 'http-500', 'delivery-failed']);

    // None lost: every row above 100 was accepted, with its values.
    const all = done.flatMap((inv) => inv.event.records.map(rowOf));
    expect(new Set(accepted(done))).toEqual(new Set(trades.map((t) => t.note)));
    for (const t of trades) expect(all.find((r) => r.NOTE === t.note)).toEqual({ TICKER: t.ticker, PRICE: t.price, NOTE: t.note });
    // Duplicates only for rows of a batch that failed (at-least-once).
    const failedRows = new Set(done.filter((i) => i.answer !== 'ok').flatMap((i) => i.event.records.map((r) => rowOf(r).NOTE)));
    const counts = new Map<string, number>();
    for (const note of accepted(done)) counts.set(note, (counts.get(note) ?? 0) + 1);
    for (const [note, n] of counts) if (n > 1) expect(failedRows.has(note)).toBe(true);
    // A failed batch is retried with the same rows, and KDA's retryHint counts the delivery failures of each record.
    const first = done[0]!.event.records.map((r) => rowOf(r).NOTE);
    expect(done[1]!.event.records.map((r) => rowOf(r).NOTE)).toEqual(first);
    expect(done[2]!.event.records.map((r) => rowOf(r).NOTE)).toEqual(first);
    expect(done[1]!.event.records.map((r) => r.lambdaDeliveryRecordMetadata.retryHint)).toEqual(first.map(() => 1));
    expect(done[2]!.event.records.map((r) => r.lambdaDeliveryRecordMetadata.retryHint)).toEqual(first.map(() => 2));
  });

  it("writes JSON records to a data stream with TIMESTAMP columns as 'yyyy-MM-dd HH:mm:ss.SSS'", async () => {
    const code = `CREATE OR REPLACE STREAM "OUT" (ticker VARCHAR(4), event_time TIMESTAMP, minute_start TIMESTAMP, arrived TIMESTAMP);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT"
  SELECT STREAM ticker, event_time, FLOOR(event_time TO MINUTE), APPROXIMATE_ARRIVAL_TIME FROM "SOURCE_SQL_STREAM_001";`;
    const schema = jsonSchema([['TICKER', 'VARCHAR(4)'], ['EVENT_TIME', 'TIMESTAMP']]);
    await createApplication(analytics, { name: 'timestamps', code, input: 'ts-in', schema, outputs: [streamOutput('OUT', 'ts-out')] });
    await start('timestamps');
    const before = Date.now();
    await put('ts-in', [
      { ticker: 'A', event_time: '2024-03-05 10:11:12.345' },
      { ticker: 'B', event_time: '2024-03-05 10:11:12.3' },
      { ticker: 'C', event_time: '2024-12-31 23:59:59' },
      { ticker: 'D', event_time: null },
    ]);
    const after = Date.now();
    const rows = await eventually(async () => (await readStream(kinesis, 'ts-out')).map((r) => JSON.parse(r.data) as Record<string, string | null>), (l) => l.length >= 4);
    expect(rows.map(({ ARRIVED: _, ...rest }) => rest)).toEqual([
      { TICKER: 'A', EVENT_TIME: '2024-03-05 10:11:12.345', MINUTE_START: '2024-03-05 10:11:00.000' },
      { TICKER: 'B', EVENT_TIME: '2024-03-05 10:11:12.300', MINUTE_START: '2024-03-05 10:11:00.000' },
      { TICKER: 'C', EVENT_TIME: '2024-12-31 23:59:59.000', MINUTE_START: '2024-12-31 23:59:00.000' },
      { TICKER: 'D', EVENT_TIME: null, MINUTE_START: null },
    ]);
    for (const r of rows) {
      expect(r.ARRIVED).toMatch(TIMESTAMP_TEXT);
      // UTC, at the record's arrival (to the millisecond, give or take the clocks' granularity).
      const ms = Date.parse(`${r.ARRIVED!.replace(' ', 'T')}Z`);
      expect(ms).toBeGreaterThanOrEqual(before - 5);
      expect(ms).toBeLessThanOrEqual(after + 5);
    }
  });

  it('adds and deletes outputs against the current version, refusing a stale one with ConcurrentModificationException', async () => {
    const outputs = [streamOutput('DESTINATION_SQL_STREAM', 'multi-a')];
    await createApplication(analytics, { name: 'outputs-crud', code: TWO_STREAMS_CODE, input: 'multi-in', schema: TICKER_PRICE_SCHEMA, outputs });
    expect((await detail('outputs-crud')).ApplicationVersionId).toBe(1);
    await start('outputs-crud');
    await put('multi-in', [{ ticker: 'ONE', price: 1 }]);
    await eventually(async () => readStream(kinesis, 'multi-a'), (l) => l.length >= 1);

    const second = streamOutput('ECHO_STREAM', 'multi-b', 'CSV');
    await analytics.send(new AddApplicationOutputCommand({ ApplicationName: 'outputs-crud', CurrentApplicationVersionId: 1, Output: second }));
    const stale = await failure(analytics.send(new AddApplicationOutputCommand({ ApplicationName: 'outputs-crud', CurrentApplicationVersionId: 1, Output: second })));
    expect(stale?.name).toBe('ConcurrentModificationException');
    let app = await detail('outputs-crud');
    expect(app.ApplicationVersionId).toBe(2);
    expect(app.ApplicationStatus).toBe('RUNNING');
    expect(app.OutputDescriptions).toHaveLength(2);
    const added = app.OutputDescriptions!.find((o) => o.KinesisStreamsOutputDescription?.ResourceARN === streamArn('multi-b'))!;
    expect(added.DestinationSchema).toEqual({ RecordFormatType: 'CSV' });

    // The running application now sends its rows to both outputs.
    await put('multi-in', [{ ticker: 'TWO', price: 2.5 }]);
    const a = await eventually(async () => (await readStream(kinesis, 'multi-a')).map((r) => r.data), (l) => l.length >= 2);
    const b = await eventually(async () => (await readStream(kinesis, 'multi-b')).map((r) => r.data), (l) => l.length >= 1, 5_000);
    expect({ a, b }).toEqual({ a: ['{"TICKER":"ONE","PRICE":1}', '{"TICKER":"TWO","PRICE":2.5}'], b: ['TWO,2.5\n'] });

    const staleDelete = await failure(analytics.send(new DeleteApplicationOutputCommand({ ApplicationName: 'outputs-crud', CurrentApplicationVersionId: 1, OutputId: added.OutputId! })));
    expect(staleDelete?.name).toBe('ConcurrentModificationException');
    const unknown = await failure(analytics.send(new DeleteApplicationOutputCommand({ ApplicationName: 'outputs-crud', CurrentApplicationVersionId: 2, OutputId: '99.1' })));
    expect(unknown?.name).toBe('ResourceNotFoundException');
    await analytics.send(new DeleteApplicationOutputCommand({ ApplicationName: 'outputs-crud', CurrentApplicationVersionId: 2, OutputId: added.OutputId! }));
    app = await detail('outputs-crud');
    expect(app.ApplicationVersionId).toBe(3);
    expect(app.OutputDescriptions?.map((o) => o.KinesisStreamsOutputDescription?.ResourceARN)).toEqual([streamArn('multi-a')]);

    // After the delete, rows go on to the remaining output only.
    await put('multi-in', [{ ticker: 'THRE', price: 3 }]);
    await eventually(async () => readStream(kinesis, 'multi-a'), (l) => l.length >= 3);
    expect((await readStream(kinesis, 'multi-b')).map((r) => r.data)).toEqual(['TWO,2.5\n']);

    // An output naming an in-application stream the code does not create is refused, and nothing changes.
    const missing = await failure(
      analytics.send(
        new AddApplicationOutputCommand({
          ApplicationName: 'outputs-crud',
          CurrentApplicationVersionId: 3,
          Output: streamOutput('NO_SUCH_STREAM', 'multi-b'),
        }),
      ),
    );
    expect(missing?.name).toBe('InvalidArgumentException');
    expect(missing?.message).toContain('NO_SUCH_STREAM');
    // So is a Lambda function this server has no configuration for.
    const unknownFunction = await failure(
      analytics.send(
        new AddApplicationOutputCommand({
          ApplicationName: 'outputs-crud',
          CurrentApplicationVersionId: 3,
          Output: { Name: 'DESTINATION_SQL_STREAM', LambdaOutput: { ResourceARN: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:nope`, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' } },
        }),
      ),
    );
    expect(unknownFunction?.name).toBe('InvalidArgumentException');
    expect(unknownFunction?.message).toContain('nope');
    app = await detail('outputs-crud');
    expect(app.ApplicationVersionId).toBe(3);
    expect(app.ApplicationStatus).toBe('RUNNING');
    expect(app.OutputDescriptions).toHaveLength(1);
  });

  it('sends one in-application stream to two destinations, each in its own record format', async () => {
    const code = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM ticker, price FROM "SOURCE_SQL_STREAM_001";`;
    const to = (stream: string, format: 'JSON' | 'CSV') => streamOutput('DESTINATION_SQL_STREAM', stream, format);
    await createApplication(analytics, { name: 'fan-out', code, input: 'fan-in', schema: TICKER_PRICE_SCHEMA, outputs: [to('fan-a', 'JSON'), to('fan-b', 'CSV')] });
    await start('fan-out');
    await put('fan-in', [{ ticker: 'ONE', price: 1.5 }]);
    const a = await eventually(async () => (await readStream(kinesis, 'fan-a')).map((r) => r.data), (l) => l.length >= 1);
    const b = await eventually(async () => (await readStream(kinesis, 'fan-b')).map((r) => r.data), (l) => l.length >= 1, 5_000);
    expect({ a, b }).toEqual({ a: ['{"TICKER":"ONE","PRICE":1.5}'], b: ['ONE,1.5\n'] });
  });
});
