import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyCache, systemClock } from '@rivulet/shared';
import { http1Kinesis } from '../../../../test/harness/clients.js';
import { readFollowingLineage } from '../../../../test/harness/consumer.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../../../../test/harness/ingest.js';
import { LevelBuffer } from '../../buffer/level-buffer.js';
import type { SourceRecord } from '../../pipeline/types.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';
import { StreamsUploader, type StreamsUploaderOptions } from './streams-uploader.js';

const KEYS = Array.from({ length: 20 }, (_, i) => `sensor-${i}`);
let server: IngestProcess;
const transport = createHttpTransport();

function records(stream: string, from: number, rounds: number): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (let n = from; n < from + rounds; n++) {
    for (const key of KEYS) out.push({ stream, partitionKey: key, data: Buffer.from(`${key}:${n}`), wallMs: systemClock.now(), monoMs: systemClock.monotonicMs() });
  }
  return out;
}

async function openBuffer(location = join(mkdtempSync(join(tmpdir(), 'rivulet-uploader-')), 'buffer')): Promise<LevelBuffer> {
  const buffer = new LevelBuffer({
    location,
    maxBytes: 64 * 1024 * 1024,
    policies: {},
    defaultPolicy: { priority: 5, whenFull: 'drop_oldest' },
    clock: systemClock,
  });
  await buffer.open();
  return buffer;
}

function uploader(buffer: LevelBuffer, send: HttpTransport, overrides: Partial<StreamsUploaderOptions> = {}) {
  const options: StreamsUploaderOptions = { endpoint: server.endpoint, region: 'us-east-1', credentials: null, deviceId: 'gw-1', idempotentProducer: true, maxBatchRecords: 500, maxBatchBytes: 5 * 1024 * 1024, ...overrides };
  return new StreamsUploader(options, { buffer, clock: systemClock, send, bandwidth: null, keyCache: new SigningKeyCache() });
}

/** Every record exactly once, and per key in the order it was buffered. */
function expectExactlyOnceInOrder(read: { partitionKey: string; data: string }[], rounds: number): void {
  expect(read).toHaveLength(KEYS.length * rounds);
  for (const key of KEYS) {
    expect(read.filter((r) => r.partitionKey === key).map((r) => Number(r.data.split(':')[1]))).toEqual(Array.from({ length: rounds }, (_, i) => i));
  }
}

beforeAll(async () => {
  server = await startIngest();
});

afterAll(async () => {
  transport.close();
  await server?.stop();
  server?.cleanup();
});

describe('StreamsUploader against a real rivulet-ingest', () => {
  it('uploads the buffer in PutRecords batches and acknowledges what the server stored', async () => {
    const kinesis = http1Kinesis(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'up-basic', ShardCount: 2 }));
    const buffer = await openBuffer();
    await buffer.append(records('up-basic', 0, 60));
    const up = uploader(buffer, transport.send);
    let verdict = await up.attempt('up-basic');
    for (let i = 0; i < 10 && buffer.stats().records > 0; i++) verdict = await up.attempt('up-basic');
    expect(verdict).toEqual({ kind: 'ok' });
    expect(buffer.stats().records).toBe(0);
    expect(up.stats()).toMatchObject({ batches: 3, records: 1200 });
    expectExactlyOnceInOrder(await readFollowingLineage(kinesis, 'up-basic'), 60);
    kinesis.destroy();
    await buffer.close();
  });

  it('stores a batch once when the response is lost and the batch is resent, even from a reopened buffer', async () => {
    const kinesis = http1Kinesis(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'up-once', ShardCount: 2 }));
    const location = join(mkdtempSync(join(tmpdir(), 'rivulet-uploader-')), 'buffer');
    let buffer = await openBuffer(location);
    await buffer.append(records('up-once', 0, 10));
    // The server stores the batch and answers, but the answer never reaches the agent.
    const dropReply: HttpTransport = async (req) => {
      await transport.send(req);
      throw new Error('connection reset after the server replied');
    };
    expect((await uploader(buffer, dropReply).attempt('up-once')).kind).toBe('retry');
    expect(buffer.stats().records).toBe(200);
    // As after an agent crash: the in-flight batch comes back from disk with its producer sequence.
    await buffer.close();
    buffer = await openBuffer(location);
    const up = uploader(buffer, transport.send);
    expect(await up.attempt('up-once')).toEqual({ kind: 'ok' });
    expect(buffer.stats().records).toBe(0);
    expectExactlyOnceInOrder(await readFollowingLineage(kinesis, 'up-once'), 10);
    kinesis.destroy();
    await buffer.close();
  });

  it('signs with device credentials, and a wrong secret is a permanent error that keeps the records', async () => {
    const dataDir = tempDir();
    const run = promisify(execFile);
    const created = await run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'ingest-server/src/main.ts'), 'keys', 'create', '--json', '--data-dir', dataDir], { cwd: REPO_ROOT });
    const key = JSON.parse(created.stdout) as { accessKeyId: string; secretAccessKey: string };
    const signed = await startIngest({ dataDir, args: ['--auth', 'sigv4'] });
    try {
      const kinesis = http1Kinesis(signed.endpoint, key);
      await kinesis.send(new CreateStreamCommand({ StreamName: 'up-signed', ShardCount: 1 }));
      const buffer = await openBuffer();
      await buffer.append(records('up-signed', 0, 2));
      const wrong = uploader(buffer, transport.send, { endpoint: signed.endpoint, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: 'wrong' } });
      expect((await wrong.attempt('up-signed')).kind).toBe('error');
      expect(buffer.stats().records).toBe(40);
      const right = uploader(buffer, transport.send, { endpoint: signed.endpoint, credentials: key });
      expect(await right.attempt('up-signed')).toEqual({ kind: 'ok' });
      expectExactlyOnceInOrder(await readFollowingLineage(kinesis, 'up-signed'), 2);
      kinesis.destroy();
      await buffer.close();
    } finally {
      await signed.stop();
      signed.cleanup();
    }
  });
});
