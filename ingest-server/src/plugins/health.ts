/**
 * Liveness and readiness for load balancers and orchestrators, both unauthenticated:
 *   GET /healthz  200 while the process serves requests.
 *   GET /readyz   200 only when every store answers a cheap probe in time; otherwise 503 with a
 *                 JSON body naming each failing store and why.
 * Owns the routes and how probes run (concurrently, each with a timeout). The probes themselves
 * are given: storeProbes() builds the standard set from the open services.
 */
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '@rivulet/shared';

export interface ReadinessProbe {
  /** The store it checks: streams, video, firehose, analytics, dataDir. */
  name: string;
  check(): Promise<void>;
}

export interface HealthOptions {
  probes: readonly ReadinessProbe[];
  clock: Pick<Clock, 'setTimer'>;
  /** A probe slower than this counts as failing (a hung disk is not ready). */
  probeTimeoutMs?: number;
}

/** The services as readiness sees them: one cheap read of each LevelDB, and the data directory. */
export interface ProbeTargets {
  dataDir: string;
  streams: { getSetting(name: string): Promise<unknown> };
  video: { probe(): Promise<void> };
  firehose: { checkpoints(streamId: string): Promise<unknown> };
  analytics: { loadCheckpoint(name: string): Promise<unknown> };
}

const PROBE_NAME = '\u0000readyz';

export function storeProbes(t: ProbeTargets): ReadinessProbe[] {
  return [
    { name: 'streams', check: async () => void (await t.streams.getSetting('iterator-secret')) },
    { name: 'video', check: () => t.video.probe() },
    { name: 'firehose', check: async () => void (await t.firehose.checkpoints(PROBE_NAME)) },
    { name: 'analytics', check: async () => void (await t.analytics.loadCheckpoint(PROBE_NAME)) },
    {
      // Writes and removes a small file: fails when the data directory is gone, read-only or full.
      name: 'dataDir',
      check: async () => {
        const file = join(t.dataDir, `.readyz-${randomBytes(6).toString('hex')}`);
        await writeFile(file, 'readyz\n', { flag: 'wx' });
        await unlink(file);
      },
    },
  ];
}

const Healthy = Type.Object({ status: Type.Literal('ok') });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.String()),
  failing: Type.Array(Type.Object({ store: Type.String(), error: Type.String() })),
});

const open = { verifyOwnCredential: () => true };

export function registerHealthRoutes(app: FastifyInstance, opts: HealthOptions): void {
  const timeoutMs = opts.probeTimeoutMs ?? 2_000;
  const run = (probe: ReadinessProbe): Promise<string | null> =>
    new Promise((resolve) => {
      const timer = opts.clock.setTimer(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      probe.check().then(
        () => resolve(null),
        (err: unknown) => resolve(err instanceof Error ? err.message : String(err)),
      ).finally(() => timer.cancel());
    });
  app.get('/healthz', { config: open, schema: { response: { 200: Healthy } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { config: open, schema: { response: { 200: Readiness, 503: Readiness } } }, async (request, reply) => {
    const results = await Promise.all(opts.probes.map(async (p) => ({ store: p.name, error: await run(p) })));
    const failing = results.filter((r): r is { store: string; error: string } => r.error !== null);
    const checks = Object.fromEntries(results.map((r) => [r.store, r.error === null ? 'ok' : 'failing']));
    if (failing.length > 0) request.log.warn({ failing }, 'not ready: a store does not answer');
    return reply.status(failing.length > 0 ? 503 : 200).send({ status: failing.length > 0 ? 'unavailable' : 'ready', checks, failing });
  });
}
