/**
 * Operations endpoints of a real rivulet-ingest process: /healthz and /readyz (which fails while
 * storage is unavailable: the data directory replaced by a regular file, or a store closed),
 * who may read /metrics under SigV4, and the JSON request log carrying each request's id.
 */
import { execFile } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, describe, expect, it } from 'vitest';
import { http1Kinesis } from '../harness/clients.js';
import { startInProcess } from '../harness/in-process.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const run = promisify(execFile);
const MAIN = join(REPO_ROOT, 'ingest-server/src/main.ts');
const procs: IngestProcess[] = [];

afterAll(async () => {
  for (const p of procs) {
    await p.stop();
    p.cleanup();
  }
});

async function start(...args: Parameters<typeof startIngest>): Promise<IngestProcess> {
  const p = await startIngest(...args);
  procs.push(p);
  return p;
}

interface Readiness {
  status: string;
  checks: Record<string, string>;
  failing: { store: string; error: string }[];
}

async function readyz(endpoint: string): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${endpoint}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

/** The JSON log lines the process wrote with this reqId. */
function logLines(proc: IngestProcess, reqId: string): Record<string, unknown>[] {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.reqId === reqId);
}

describe('health and readiness', () => {
  it('is ready while every store answers, and not ready (naming the data directory) while it is replaced by a file', async () => {
    const proc = await start();
    expect(await readyz(proc.endpoint)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { streams: 'ok', video: 'ok', firehose: 'ok', analytics: 'ok', dataDir: 'ok' }, failing: [] },
    });
    // Storage goes away under the running server: the directory moves and a regular file takes its place.
    renameSync(proc.dataDir, `${proc.dataDir}.away`);
    writeFileSync(proc.dataDir, 'not a directory\n');
    try {
      const gone = await readyz(proc.endpoint);
      expect(gone.status).toBe(503);
      expect(gone.body.status).toBe('unavailable');
      expect(gone.body.failing.map((f) => f.store)).toEqual(['dataDir']);
      expect(gone.body.failing[0]!.error).toMatch(/ENOTDIR/);
      expect(gone.body.checks.dataDir).toBe('failing');
      // Alive all the same: the process still serves.
      expect((await fetch(`${proc.endpoint}/healthz`)).status).toBe(200);
    } finally {
      rmSync(proc.dataDir);
      renameSync(`${proc.dataDir}.away`, proc.dataDir);
    }
    expect((await readyz(proc.endpoint)).status).toBe(200);
  });

  it('turns not ready, naming the store, once a store is closed', async () => {
    const srv = await startInProcess();
    try {
      const get = async () => {
        const res = await srv.server.app.inject({ method: 'GET', url: '/readyz' });
        return { status: res.statusCode, body: res.json<Readiness>() };
      };
      expect((await get()).status).toBe(200);
      await srv.server.analytics.store.close();
      const one = await get();
      expect(one.status).toBe(503);
      expect(one.body.failing.map((f) => f.store)).toEqual(['analytics']);
      await srv.server.video.fragments.close();
      const two = await get();
      expect(two.body.failing.map((f) => f.store).sort()).toEqual(['analytics', 'video']);
      expect(two.body.checks).toEqual({ streams: 'ok', video: 'failing', firehose: 'ok', analytics: 'failing', dataDir: 'ok' });
    } finally {
      await srv.close();
    }
  });
});

describe('/metrics under SigV4', () => {
  it('needs a signature or the configured bearer token; /healthz and /readyz need neither', async () => {
    const dataDir = tempDir();
    const created = await run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', MAIN, 'keys', 'create', '--name', 'scrape', '--json', '--data-dir', dataDir], { cwd: REPO_ROOT });
    const key = JSON.parse(created.stdout) as { accessKeyId: string; secretAccessKey: string };
    const token = 'scrape-token-0123456789abcdef';
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ metrics: { bearerToken: token } }));
    const proc = await start({ dataDir, args: ['--auth', 'sigv4', '--config', join(dataDir, 'config.json')] });
    const url = `${proc.endpoint}/metrics`;

    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(403);
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await bearer.text()).toContain('rivulet_requests_total{service="other",action="Metrics",status="403"} 2');

    const signer = new SignatureV4({ service: 'kinesis', region: 'us-east-1', credentials: key, sha256: Hash.bind(null, 'sha256') });
    const request = new HttpRequest({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: proc.port, path: '/metrics', headers: { host: `127.0.0.1:${proc.port}` } });
    const signed = await signer.sign(request);
    expect((await fetch(url, { headers: signed.headers })).status).toBe(200);

    expect((await fetch(`${proc.endpoint}/healthz`)).status).toBe(200);
    expect((await fetch(`${proc.endpoint}/readyz`)).status).toBe(200);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request carrying the x-amzn-requestid it answered with, service, action, status and duration', async () => {
    const proc = await start({ env: { RIVULET_LOG_LEVEL: 'info' } });
    const client = http1Kinesis(proc.endpoint);
    const out = await client.send(new ListStreamsCommand({}));
    const id = out.$metadata.requestId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const post = (headers: Record<string, string>) =>
      fetch(proc.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.DescribeStreamSummary', ...headers }, body: '{"StreamName":"nope"}' });
    // A caller's own safe request id is kept; an unsafe one is replaced.
    const traced = await post({ 'x-request-id': 'trace-42.a_B' });
    expect(traced.headers.get('x-amzn-requestid')).toBe('trace-42.a_B');
    const unsafe = await post({ 'x-request-id': 'bad id/<script>' });
    const replaced = unsafe.headers.get('x-amzn-requestid')!;
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await post({ 'x-request-id': 'a'.repeat(65) });
    expect(tooLong.headers.get('x-amzn-requestid')).not.toBe('a'.repeat(65));

    await expect.poll(() => logLines(proc, id).length).toBe(1);
    expect(logLines(proc, id)[0]).toMatchObject({ level: 30, msg: 'request completed', service: 'streams', action: 'ListStreams', status: 200, durationMs: expect.any(Number) });
    await expect.poll(() => logLines(proc, 'trace-42.a_B').length).toBe(1);
    expect(logLines(proc, 'trace-42.a_B')[0]).toMatchObject({ service: 'streams', action: 'DescribeStreamSummary', status: 400 });
    await expect.poll(() => logLines(proc, replaced).length).toBe(1);
    client.destroy();
  });
});
