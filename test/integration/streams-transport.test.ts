import { execFileSync } from 'node:child_process';
import http2 from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CREDENTIALS } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

let server: IngestProcess;
let ca: Buffer;
let endpoint: string;

beforeAll(async () => {
  const dir = tempDir('rivulet-tls-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  ca = readFileSync(cert);
  server = await startIngest({ args: ['--tls-cert', cert, '--tls-key', key] });
  expect(server.output()).toContain('listening on https://127.0.0.1:');
  endpoint = `https://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

function post(session: http2.ClientHttp2Session, target: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': '/', 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' });
    let status = 0;
    let text = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve({ status, body: text }));
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS with ALPN on one port', () => {
  it('negotiates h2 and serves Kinesis over HTTP/2', async () => {
    const session = http2.connect(endpoint, { ca });
    try {
      await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
      expect(session.alpnProtocol).toBe('h2');
      const res = await post(session, 'Kinesis_20131202.CreateStream', '{"StreamName":"tls-h2","ShardCount":1}');
      expect(res.status).toBe(200);
    } finally {
      session.close();
    }
  });

  it('falls back to HTTP/1.1 for clients that do not offer h2, and the SDK works over it', async () => {
    const agent = new https.Agent({ ca, keepAlive: true });
    const kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, requestHandler: new NodeHttpHandler({ httpsAgent: agent }) });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'tls-h1', ShardCount: 1 }));
      const res = await kinesis.send(new PutRecordsCommand({ StreamName: 'tls-h1', Records: [{ PartitionKey: 'k', Data: new Uint8Array([1]) }] }));
      expect(res.FailedRecordCount).toBe(0);
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'tls-h2' }));
      expect(summary.StreamDescriptionSummary!.OpenShardCount).toBe(1);
    } finally {
      kinesis.destroy();
      agent.destroy();
    }
  });
});

describe('cleartext HTTP/2 and HTTP/1.1 on one port', () => {
  it('sniffs the HTTP/2 preface (prior knowledge) beside HTTP/1.1', async () => {
    const plain = await startIngest();
    try {
      const session = http2.connect(plain.endpoint);
      const res = await post(session, 'Kinesis_20131202.ListStreams', '{}');
      session.close();
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ StreamNames: [] });
      const h1 = await fetch(plain.endpoint, { method: 'POST', headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
      expect(h1.status).toBe(200);
    } finally {
      await plain.stop();
      plain.cleanup();
    }
  });
});
