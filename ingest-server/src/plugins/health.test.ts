import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { registerHealthRoutes } from './health.js';

async function appWith(probes: { name: string; check(): Promise<void> }[], clock = new ManualClock(0)) {
  const app = Fastify();
  registerHealthRoutes(app, { probes, clock, probeTimeoutMs: 1000 });
  await app.ready();
  return app;
}

describe('/healthz and /readyz', () => {
  it('answers /healthz 200 whatever the stores say', async () => {
    const app = await appWith([{ name: 'streams', check: () => Promise.reject(new Error('closed')) }]);
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when every probe answers', async () => {
    const app = await appWith([{ name: 'streams', check: async () => {} }, { name: 'dataDir', check: async () => {} }]);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { streams: 'ok', dataDir: 'ok' }, failing: [] });
  });

  it('answers 503 naming the store whose probe fails, with its error', async () => {
    const app = await appWith([{ name: 'streams', check: async () => {} }, { name: 'video', check: () => Promise.reject(new Error('Database is not open')) }]);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: { streams: 'ok', video: 'failing' }, failing: [{ store: 'video', error: 'Database is not open' }] });
  });

  it('counts a probe that does not answer in time as failing', async () => {
    const clock = new ManualClock(0);
    const app = await appWith([{ name: 'firehose', check: () => new Promise(() => {}) }], clock);
    const pending = app.inject({ method: 'GET', url: '/readyz' });
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.json().failing).toEqual([{ store: 'firehose', error: 'no answer within 1000 ms' }]);
  });
});
