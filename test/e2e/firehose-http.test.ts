/**
 * Firehose to an HTTP endpoint, per the Firehose HTTP endpoint delivery spec, through the stock
 * SDK against a real rivulet-ingest process. The endpoint here is a real node:http server that
 * checks every header and the body, and fails on command: retries keep the request id, even
 * across a kill -9 of the server; a retry window that runs out, or a 413, sends the records to
 * the S3Configuration bucket under http-endpoint-failed/.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { bucketObjects } from '../harness/buckets.js';

interface Received {
  path: string;
  requestId: string;
  headers: IncomingMessage['headers'];
  body: { requestId: string; timestamp: number; records: { data: string }[] };
}

let endpoint: Server;
let base = '';
const received: Received[] = [];
/** path -> status to answer with (200 answers per the spec) */
const mode = new Map<string, number>();
const procs: IngestProcess[] = [];

beforeAll(async () => {
  endpoint = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      const body = JSON.parse(text) as Received['body'];
      const requestId = String(req.headers['x-amz-firehose-request-id']);
      received.push({ path: req.url ?? '', requestId, headers: req.headers, body });
      const status = mode.get(req.url ?? '') ?? 200;
      if (status !== 200) {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ requestId, timestamp: Date.now(), errorMessage: 'told to fail' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requestId, timestamp: Date.now() }));
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  const addr = endpoint.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  for (const p of procs) await p.kill();
  procs[0]?.cleanup();
  await new Promise((r) => endpoint?.close(r));
});


async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const httpConfig = (path: string, retrySeconds: number) => ({
  EndpointConfiguration: { Url: `${base}${path}`, Name: 'test endpoint', AccessKey: 'the-access-key' },
  BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
  RequestConfiguration: { ContentEncoding: 'GZIP' as const, CommonAttributes: [{ AttributeName: 'site', AttributeValue: 'north' }] },
  RetryOptions: { DurationInSeconds: retrySeconds },
  S3Configuration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::http-errors' },
});

describe('Firehose to an HTTP endpoint', () => {
  it('sends spec-conformant requests, retries with the same request id across a kill -9, and delivers everything', async () => {
    const dataDir = tempDir('rivulet-fh-http-');
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ firehose: { maxRetryDelayMs: 200 } }));
    let proc = await startIngest({ dataDir, args: ['--config', config] });
    procs.push(proc);
    let fh = stockFirehose(proc.endpoint);
    mode.set('/ingest', 500);
    await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'to-http', HttpEndpointDestinationConfiguration: httpConfig('/ingest', 600) }));
    const records = Array.from({ length: 40 }, (_, i) => Buffer.from(JSON.stringify({ i })));
    const put = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'to-http', Records: records.map((Data) => ({ Data })) }));
    expect(put.FailedPutCount).toBe(0);
    await until(() => received.filter((r) => r.path === '/ingest').length >= 2);
    const failedIds = new Set(received.filter((r) => r.path === '/ingest').map((r) => r.requestId));
    expect(failedIds.size).toBe(1);
    await proc.kill();
    fh.destroy();

    mode.set('/ingest', 200);
    const before = received.length;
    proc = await startIngest({ dataDir, args: ['--config', config] });
    procs.push(proc);
    fh = stockFirehose(proc.endpoint);
    await until(() => received.slice(before).some((r) => r.path === '/ingest'));
    const after = received.slice(before).filter((r) => r.path === '/ingest');
    // The batch cut before the kill is delivered under the id it had: downstream can dedupe.
    expect(after[0]!.requestId).toBe([...failedIds][0]);
    const delivered = after[0]!.body.records.map((r) => Buffer.from(r.data, 'base64'));
    expect(Buffer.concat(delivered).equals(Buffer.concat(records))).toBe(true);
    for (const r of received.filter((x) => x.path === '/ingest')) {
      expect(r.headers['x-amz-firehose-protocol-version']).toBe('1.0');
      expect(r.headers['x-amz-firehose-access-key']).toBe('the-access-key');
      expect(JSON.parse(String(r.headers['x-amz-firehose-common-attributes']))).toEqual({ commonAttributes: { site: 'north' } });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.body.requestId).toBe(r.requestId);
      expect(typeof r.body.timestamp).toBe('number');
    }
    fh.destroy();
    expect(await proc.stop()).toBe(0);
  }, 120_000);

  it('sends records to the S3Configuration bucket under http-endpoint-failed/ when retries run out or the endpoint answers 413', async () => {
    const dataDir = tempDir('rivulet-fh-http2-');
    const proc = await startIngest({ dataDir });
    procs.push(proc);
    const fh = stockFirehose(proc.endpoint);
    mode.set('/always-500', 500);
    mode.set('/too-large', 413);
    await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'fails', HttpEndpointDestinationConfiguration: httpConfig('/always-500', 1) }));
    await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'large', HttpEndpointDestinationConfiguration: httpConfig('/too-large', 600) }));
    const a = [Buffer.from('{"n":1}'), Buffer.from('{"n":2}')];
    const b = [Buffer.from('{"n":3}')];
    await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'fails', Records: a.map((Data) => ({ Data })) }));
    await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'large', Records: b.map((Data) => ({ Data })) }));
    const root = join(dataDir, 'firehose', 'buckets', 'http-errors');
    await until(() => bucketObjects(root).size >= 2);
    const lines = [...bucketObjects(root)].flatMap(([key, body]) => {
      expect(key).toMatch(/^http-endpoint-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//);
      return body.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rawData: string; errorCode: string; attemptsMade: number });
    });
    const raw = lines.map((l) => Buffer.from(l.rawData, 'base64').toString()).sort();
    expect(raw).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(lines.every((l) => l.errorCode.startsWith('HttpEndpoint.'))).toBe(true);
    // A 413 is permanent: one attempt only.
    expect(received.filter((r) => r.path === '/too-large')).toHaveLength(1);
    expect(received.filter((r) => r.path === '/always-500').length).toBeGreaterThanOrEqual(1);
    fh.destroy();
  }, 60_000);
});
