/**
 * Test harness: the scale-out topology on loopback. A real 3-node JetStream cluster
 * (nats-cluster.ts), two rivulet-ingest processes on the JetStream store with
 * `storage.ingestProcesses: 2`, and a round-robin load balancer in front (round-robin.ts), so
 * consecutive requests go to different processes. The result is shaped like one IngestProcess
 * (its endpoint is the balancer's), so a suite written for one process runs unchanged.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIngest, tempDir, type IngestProcess, type StartOptions } from './ingest.js';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';
import { startRoundRobin, type RoundRobin } from './round-robin.js';

export interface IngestPair extends IngestProcess {
  processes: IngestProcess[];
  cluster: NatsCluster;
  balancer: RoundRobin;
}

/** The scale-out topology the suites switch to when RIVULET_TEST_TOPOLOGY is this value. */
export const PAIR_TOPOLOGY = 'jetstream-pair';

export function pairTopologyRequested(): boolean {
  return process.env['RIVULET_TEST_TOPOLOGY'] === PAIR_TOPOLOGY;
}

export interface PairOptions extends StartOptions {
  processes?: number;
  /** More top-level config sections for every process (beside `storage`). */
  config?: Record<string, unknown>;
}

export async function startIngestPair(options: PairOptions = {}): Promise<IngestPair> {
  const dir = tempDir('rivulet-pair-');
  const cluster = await startNatsCluster({ nodes: 3, dir });
  const started: IngestProcess[] = [];
  let balancer: RoundRobin | undefined;
  try {
    const processCount = options.processes ?? 2;
    const configFile = join(dir, 'rivulet.json');
    const storage = { engine: 'jetstream', servers: cluster.servers, replicas: 3, prefix: 'pair', ingestProcesses: processCount };
    writeFileSync(configFile, JSON.stringify({ ...options.config, storage }));
    const starts = [];
    for (let i = 0; i < processCount; i++) {
      starts.push(startIngest({ ...options, dataDir: undefined, args: ['--config', configFile, ...(options.args ?? [])] }));
    }
    const settled = await Promise.allSettled(starts);
    for (const s of settled) if (s.status === 'fulfilled') started.push(s.value);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    balancer = await startRoundRobin(started.map((p) => p.port));
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    for (const p of started) p.cleanup();
    await balancer?.close();
    await cluster.stop();
    cluster.cleanup();
    throw err;
  }
  const lb = balancer;
  const first = started[0]!;
  return {
    processes: started,
    cluster,
    balancer: lb,
    endpoint: lb.endpoint,
    port: lb.port,
    dataDir: first.dataDir,
    child: first.child,
    output: () => started.map((p, i) => `--- rivulet-ingest #${i + 1}\n${p.output()}`).join('\n'),
    async stop() {
      const codes = await Promise.all(started.map((p) => p.stop()));
      await lb.close();
      await cluster.stop();
      return codes.find((c) => c !== 0) ?? codes[0] ?? null;
    },
    async kill() {
      await Promise.all(started.map((p) => p.kill()));
      await lb.close();
      await cluster.stop();
    },
    cleanup() {
      for (const p of started) p.cleanup();
      cluster.cleanup();
    },
  };
}
