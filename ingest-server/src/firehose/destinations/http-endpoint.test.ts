import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ManualClock, RivuletError, systemClock } from '@rivulet/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backoffMs, deliverToHttpEndpoint, HTTP_BACKOFF, type HttpDeliveryDeps, type HttpEndpointTarget } from './http-endpoint.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
type Responder = (req: Received, res: ServerResponse) => void;

const received: Received[] = [];
let script: Responder[] = [];
let server: Server;
let baseUrl: string;

function reply(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
const ok: Responder = (req, res) => reply(res, 200, { requestId: req.headers['x-amz-firehose-request-id'], timestamp: 1_700_000_000_123 });
const status = (code: number): Responder => (req, res) => reply(res, code, { requestId: req.headers['x-amz-firehose-request-id'], timestamp: 1, errorMessage: `status ${code}` });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      (script.shift() ?? ok)(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  script = [];
});

function target(overrides: Partial<HttpEndpointTarget> = {}): HttpEndpointTarget {
  return {
    url: `${baseUrl}/ingest?token=abc`,
    name: 'test-endpoint',
    accessKey: 'secret-key-123',
    commonAttributes: { env: 'test', 'device-type': '', note: 'caf\u00e9' },
    contentEncoding: 'NONE',
    retryDurationMs: 300_000,
    requestTimeoutMs: 5_000,
    ...overrides,
  };
}

/** A ManualClock whose sleep moves the clock, so retries take no real time. */
function manualDeps(random = () => 0.5): HttpDeliveryDeps & { clock: ManualClock; sleeps: number[] } {
  const clock = new ManualClock();
  const sleeps: number[] = [];
  return {
    clock,
    sleeps,
    random,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
  };
}

const batch = { requestId: '6f1c2a0e-0d1f-4c63-9d6a-1e2b3c4d5e6f', records: [Buffer.from('hello'), Buffer.from([0, 255, 1]), Buffer.alloc(0)], timestampMs: 1_767_225_600_000 };

describe('deliverToHttpEndpoint', () => {
  it('POSTs the spec headers and a JSON body with base64 records', async () => {
    const result = await deliverToHttpEndpoint(target({ sourceArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/s' }), batch, manualDeps());
    expect(result).toEqual({ ok: true, attempts: 1 });
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r?.method).toBe('POST');
    expect(r?.url).toBe('/ingest?token=abc');
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers['content-encoding']).toBeUndefined();
    expect(r?.headers['content-length']).toBe(String(r?.body.length));
    expect(r?.headers['x-amz-firehose-protocol-version']).toBe('1.0');
    expect(r?.headers['x-amz-firehose-request-id']).toBe(batch.requestId);
    expect(r?.headers['x-amz-firehose-access-key']).toBe('secret-key-123');
    expect(r?.headers['x-amz-firehose-source-arn']).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/s');
    expect(JSON.parse(r?.headers['x-amz-firehose-common-attributes'] as string)).toEqual({
      commonAttributes: { env: 'test', 'device-type': '', note: 'caf\u00e9' },
    });
    expect(JSON.parse(r?.body.toString('utf8') ?? '')).toEqual({
      requestId: batch.requestId,
      timestamp: batch.timestampMs,
      records: [{ data: 'aGVsbG8=' }, { data: 'AP8B' }, { data: '' }],
    });
  });

  it('gzips the body and says so in Content-Encoding when GZIP is configured', async () => {
    const result = await deliverToHttpEndpoint(target({ contentEncoding: 'GZIP', accessKey: undefined, commonAttributes: {} }), batch, manualDeps());
    expect(result.ok).toBe(true);
    const [r] = received;
    expect(r?.headers['content-encoding']).toBe('gzip');
    expect(r?.headers['x-amz-firehose-access-key']).toBeUndefined();
    expect(r?.headers['x-amz-firehose-common-attributes']).toBe('{"commonAttributes":{}}');
    const doc = JSON.parse(gunzipSync(r?.body ?? Buffer.alloc(0)).toString('utf8')) as { requestId: string; records: { data: string }[] };
    expect(doc.requestId).toBe(batch.requestId);
    expect(doc.records.map((x) => Buffer.from(x.data, 'base64').toString('latin1'))).toEqual(['hello', '\u0000\u00ff\u0001', '']);
  });

  it('retries a 500 twice and succeeds on the third attempt with the same request id and body', async () => {
    script = [status(500), status(500), ok];
    const deps = manualDeps();
    const result = await deliverToHttpEndpoint(target(), batch, deps);
    expect(result).toEqual({ ok: true, attempts: 3 });
    expect(received.map((r) => r.headers['x-amz-firehose-request-id'])).toEqual([batch.requestId, batch.requestId, batch.requestId]);
    expect(new Set(received.map((r) => r.body.toString('base64'))).size).toBe(1);
    // Full jitter at random() = 0.5: half of 1 s, then half of 2 s.
    expect(deps.sleeps).toEqual([500, 1000]);
  });

  it('treats 413 as permanent: one attempt, no retry', async () => {
    script = [status(413), ok];
    const result = await deliverToHttpEndpoint(target(), batch, manualDeps());
    expect(result).toMatchObject({ ok: false, attempts: 1, permanent: true, errorCode: 'HttpEndpoint.DestinationException' });
    expect(result.ok === false && result.errorMessage).toContain('413');
    expect(received).toHaveLength(1);
  });

  it('fails with InvalidResponseFromDestination when the 200 echoes another request id, until the retry duration ends', async () => {
    const wrongId: Responder = (_req, res) => reply(res, 200, { requestId: 'someone-else', timestamp: 1 });
    script = Array.from({ length: 50 }, () => wrongId);
    const deps = manualDeps();
    const result = await deliverToHttpEndpoint(target({ retryDurationMs: 10_000 }), batch, deps);
    expect(result).toMatchObject({ ok: false, permanent: false, errorCode: 'HttpEndpoint.InvalidResponseFromDestination' });
    // Sleeps 500, 1000, 2000, 4000, then the 2500 ms left: six attempts in 10 s.
    expect(deps.sleeps).toEqual([500, 1000, 2000, 4000, 2500]);
    expect(result.attempts).toBe(6);
    expect(received).toHaveLength(6);
    expect(deps.clock.monotonicMs()).toBe(10_000);
  });

  const invalid200: [string, Responder][] = [
    ['a missing request id', (_req, res) => reply(res, 200, { timestamp: 1 })],
    ['a body that is not JSON', (_req, res) => reply(res, 200, 'OK')],
    ['an empty body', (_req, res) => reply(res, 200, '')],
    ['a string timestamp', (req, res) => reply(res, 200, { requestId: req.headers['x-amz-firehose-request-id'], timestamp: '1' })],
    ['a text/plain content type', (req, res) => reply(res, 200, { requestId: req.headers['x-amz-firehose-request-id'], timestamp: 1 }, 'text/plain')],
  ];
  for (const [what, responder] of invalid200) {
    it(`counts a 200 with ${what} as a failed attempt`, async () => {
      script = [responder, ok];
      const result = await deliverToHttpEndpoint(target(), batch, manualDeps());
      expect(result).toEqual({ ok: true, attempts: 2 });
    });
  }

  for (const code of [204, 302, 400, 401, 429, 503]) {
    it(`retries after an HTTP ${code}`, async () => {
      script = [(_req, res) => {
        res.writeHead(code, code === 302 ? { Location: `${baseUrl}/elsewhere` } : {});
        res.end();
      }];
      const result = await deliverToHttpEndpoint(target(), batch, manualDeps());
      expect(result).toEqual({ ok: true, attempts: 2 });
      expect(received.map((r) => r.url)).toEqual(['/ingest?token=abc', '/ingest?token=abc']);
    });
  }

  it('makes exactly one attempt when the retry duration is 0', async () => {
    script = [status(500), ok];
    const result = await deliverToHttpEndpoint(target({ retryDurationMs: 0 }), batch, manualDeps());
    expect(result).toMatchObject({ ok: false, attempts: 1, permanent: false, errorCode: 'HttpEndpoint.DestinationException' });
  });

  it('reports ConnectionFailed when nothing listens, and gives up when the retry duration is spent', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const deps = manualDeps(() => 0.999);
    const result = await deliverToHttpEndpoint(target({ url: `http://127.0.0.1:${port}/`, retryDurationMs: 5_000 }), batch, deps);
    expect(result).toMatchObject({ ok: false, permanent: false, errorCode: 'HttpEndpoint.ConnectionFailed' });
    expect(result.attempts).toBeGreaterThan(1);
    expect(deps.clock.monotonicMs()).toBe(5_000);
  });

  it('times out a slow endpoint with RequestTimeout on a real clock', async () => {
    const hang: Responder = () => undefined;
    script = [hang, hang, hang];
    const deps: HttpDeliveryDeps = { clock: systemClock, random: () => 0, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const started = Date.now();
    const result = await deliverToHttpEndpoint(target({ requestTimeoutMs: 150, retryDurationMs: 200 }), batch, deps);
    expect(result).toMatchObject({ ok: false, attempts: 2, permanent: false, errorCode: 'HttpEndpoint.RequestTimeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports ConnectionReset when the endpoint drops the connection', async () => {
    script = [(_req, res) => res.socket?.destroy(), ok];
    const result = await deliverToHttpEndpoint(target({ retryDurationMs: 0 }), batch, manualDeps());
    expect(result).toMatchObject({ ok: false, attempts: 1, errorCode: 'HttpEndpoint.ConnectionReset' });
  });

  it('reports ResponseTooLarge for a response over 1 MiB', async () => {
    script = [(_req, res) => reply(res, 200, 'x'.repeat(1024 * 1024 + 10))];
    const result = await deliverToHttpEndpoint(target({ retryDurationMs: 0 }), batch, manualDeps());
    expect(result).toMatchObject({ ok: false, attempts: 1, errorCode: 'HttpEndpoint.ResponseTooLarge' });
  });

  it('refuses a target or batch that can never work with FIREHOSE_INVALID_ARGUMENT', async () => {
    const bad: [Partial<HttpEndpointTarget>, typeof batch][] = [
      [{ url: 'not a url' }, batch],
      [{ url: 'ftp://127.0.0.1/' }, batch],
      [{ accessKey: 'line\nbreak' }, batch],
      [{ commonAttributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, batch],
      [{}, { ...batch, records: [] }],
    ];
    for (const [overrides, b] of bad) {
      const err = await deliverToHttpEndpoint(target(overrides), b, manualDeps()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RivuletError);
      expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    }
    expect(received).toHaveLength(0);
  });
});

describe('backoffMs', () => {
  it('doubles from 1 s and caps at 2 minutes, scaled by the jitter draw', () => {
    expect([1, 2, 3, 8, 20].map((n) => backoffMs(n, () => 1))).toEqual([1000, 2000, 4000, HTTP_BACKOFF.maxMs, HTTP_BACKOFF.maxMs]);
    expect(backoffMs(3, () => 0)).toBe(0);
    expect(backoffMs(3, () => 0.25)).toBe(1000);
  });
});
