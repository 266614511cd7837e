/**
 * The console's server side over real HTTP, in process (a ManualClock drives silence and session
 * expiry): the agents view built from device-health records, the static bundle's routes, and
 * login sessions with auth sigv4 (cookie + x-rivulet-console header instead of a signature).
 */
import { PutRecordCommand, CreateStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { registerSigV4Auth } from '../../ingest-server/src/plugins/sigv4-auth.js';
import { ensureConsoleBuilt } from '../browser/chromium.js';
import { stockKinesis } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';

interface AgentsBody {
  healthStreams: { name: string; exists: boolean }[];
  devices: { deviceId: string; silent: boolean; intervalMs: number | null; cpuPercent: number | null; agentVersion: string; buffer: { records: number } | null }[];
}

function health(deviceId: string, wallMs: number, extra: Record<string, unknown> = {}) {
  return {
    kind: 'rivulet.health/1',
    deviceId,
    wallMs,
    monoMs: wallMs,
    uptimeSeconds: 10,
    cpuPercent: 12.5,
    load: null,
    memory: { totalBytes: 1000, usedBytes: 400, availableBytes: 600 },
    disk: null,
    temperatureC: 48,
    network: null,
    agent: { version: '0.1.0', rssBytes: 1234 },
    ...extra,
  };
}

describe('the console API with auth off', () => {
  let s: InProcessServer;
  let kinesis: KinesisClient;
  const put = (data: unknown, key = 'k') => kinesis.send(new PutRecordCommand({ StreamName: 'device-health', PartitionKey: key, Data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)) }));
  const agents = async () => (await (await fetch(`${s.endpoint}/console/api/agents`)).json()) as AgentsBody;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    s = await startInProcess();
    kinesis = stockKinesis(s.endpoint);
  }, 60_000);
  afterAll(async () => {
    kinesis?.destroy();
    await s?.close();
  });

  it('says so when the health stream does not exist yet', async () => {
    const body = await agents();
    expect(body.healthStreams).toEqual([{ name: 'device-health', exists: false }]);
    expect(body.devices).toEqual([]);
  });

  it('shows each device from its newest health record and flags it after 3 silent intervals', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'device-health', ShardCount: 2 }));
    const t0 = s.clock.now();
    for (let i = 0; i < 4; i++) {
      await put(health('cam-1', t0 + i * 5000, { buffer: { records: 7, bytes: 700, oldestUnsentAgeMs: 1500 }, cpuPercent: 10 + i }), 'cam-1');
      s.clock.advance(5000);
    }
    await put(health('cam-2', t0), 'cam-2');
    await put('not json at all', 'junk');
    await put({ kind: 'something-else', deviceId: 'x' }, 'junk');
    let body = await agents();
    expect(body.devices.map((d) => d.deviceId)).toEqual(['cam-1', 'cam-2']);
    const cam1 = body.devices[0]!;
    expect(cam1).toMatchObject({ silent: false, intervalMs: 5000, cpuPercent: 13, agentVersion: '0.1.0', buffer: { records: 7 } });
    expect(body.devices[1]).toMatchObject({ deviceId: 'cam-2', intervalMs: null, buffer: null, silent: false });

    s.clock.advance(15_001);
    body = await agents();
    expect(body.devices.find((d) => d.deviceId === 'cam-1')?.silent).toBe(true);
    // One sample, so no interval: silent only after 2 minutes.
    expect(body.devices.find((d) => d.deviceId === 'cam-2')?.silent).toBe(false);
    s.clock.advance(120_000);
    expect((await agents()).devices.find((d) => d.deviceId === 'cam-2')?.silent).toBe(true);

    // A new sample brings it back.
    await put(health('cam-1', s.clock.now()), 'cam-1');
    expect((await agents()).devices.find((d) => d.deviceId === 'cam-1')?.silent).toBe(false);
  });

  it('serves the bundle: index.html for client routes, hashed assets cached for good', async () => {
    const page = await fetch(`${s.endpoint}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const script = /src="(\/console\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${s.endpoint}${script}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${s.endpoint}/console/agents`)).text()).toBe(html);
    expect((await fetch(`${s.endpoint}/console/assets/missing.js`)).status).toBe(404);
  });

  it('never serves a file outside the bundle', async () => {
    for (const path of ['/console/../package.json', '/console/%2e%2e/%2e%2e/package.json', '/console/..%2f..%2fpackage.json', '/console/assets/..%2f..%2f..%2fpackage.json']) {
      const res = await fetch(`${s.endpoint}${path}`);
      expect(await res.text()).not.toContain('"workspaces"');
    }
  });

  it('answers an unknown console API path with an AWS-shaped 404', async () => {
    const res = await fetch(`${s.endpoint}/console/api/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});

describe('console sessions with auth sigv4', () => {
  let s: InProcessServer;
  const keys = new Map([['AKIDCONSOLE', 'console-secret']]);
  const installAuth = (app: FastifyInstance) => registerSigV4Auth(app, { lookupSecret: (id) => keys.get(id) ?? null, clock: { now: () => s.clock.now() } });

  beforeAll(async () => {
    s = await startInProcess({ auth: 'sigv4', console: { sessionHours: 1 } }, { installAuth });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const login = (accessKeyId: string, secretAccessKey: string) =>
    fetch(`${s.endpoint}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessKeyId, secretAccessKey }) });
  const info = (headers: Record<string, string>) => fetch(`${s.endpoint}/console/api/info`, { headers });

  it('refuses a wrong secret and an unknown key with NotAuthorizedException', async () => {
    for (const [id, secret] of [['AKIDCONSOLE', 'wrong'], ['AKIDNOPE', 'console-secret']] as const) {
      const res = await login(id, secret);
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(((await res.json()) as { __type: string }).__type).toBe('NotAuthorizedException');
    }
    expect((await login('', '')).status).toBe(400);
  });

  it('lets the bundle and the session endpoint through unauthenticated, and nothing else', async () => {
    expect((await fetch(`${s.endpoint}/console`)).status).toBe(200);
    expect(await (await fetch(`${s.endpoint}/console/api/session`)).json()).toEqual({ authMode: 'sigv4', accessKeyId: null, expiresAtMs: null });
    expect((await info({})).status).toBe(403);
    expect((await fetch(`${s.endpoint}/metrics`)).status).toBe(403);
  });

  it('accepts the session cookie with the console header until the session expires', async () => {
    const res = await login('AKIDCONSOLE', 'console-secret');
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^rivulet_console=[^;]+; Path=\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0]!;
    const ok = await info({ cookie, 'x-rivulet-console': '1' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { principal: string }).principal).toBe('AKIDCONSOLE');
    expect((await info({ cookie })).status).toBe(403);
    expect((await fetch(`${s.endpoint}/metrics`, { headers: { cookie, 'x-rivulet-console': '1' } })).status).toBe(200);
    const tampered = cookie.slice(0, -3) + (cookie.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await info({ cookie: tampered, 'x-rivulet-console': '1' })).status).toBe(403);

    s.clock.advance(3600_000);
    expect((await info({ cookie, 'x-rivulet-console': '1' })).status).toBe(403);
  });

  it('ends the sessions of a revoked key', async () => {
    keys.set('AKIDREVOKE', 'other-secret');
    const cookie = ((await login('AKIDREVOKE', 'other-secret')).headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await info({ cookie, 'x-rivulet-console': '1' })).status).toBe(200);
    keys.delete('AKIDREVOKE');
    expect((await info({ cookie, 'x-rivulet-console': '1' })).status).toBe(403);
  });
});
