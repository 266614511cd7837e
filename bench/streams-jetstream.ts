/**
 * The JetStream side of bench/streams.ts (`--store jetstream`): a real 3-node NATS JetStream
 * cluster on loopback (test/harness/nats-cluster.ts, Debian's nats-server) and a rivulet-ingest
 * whose storage is that cluster with replicas 3. Owns starting and stopping both, and counting
 * the NATS nodes' CPU as server CPU (replication is server work), found through /proc by each
 * node's config file. Does not drive any workload or format anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startNatsCluster, type NatsCluster } from '../test/harness/nats-cluster.js';
import { startRivulet, type RivuletOptions, type ServerProcess } from './streams-servers.js';

/** Linux USER_HZ, as in streams-servers.ts. */
const CLOCK_TICKS_PER_SECOND = 100;
export const JETSTREAM_REPLICAS = 3;

/** Clusters still running, for cleanupJetStream on an abnormal exit. */
const running = new Map<NatsCluster, number[]>();

/** SIGKILLs every nats-server this module started and removes their dirs; synchronous, for exit handlers. */
export function cleanupJetStream(): void {
  for (const [cluster, pids] of running) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    cluster.cleanup();
  }
  running.clear();
}

/** The pid of the nats-server started with `-c <configPath>`, from /proc/<pid>/cmdline. */
function pidOfConfig(configPath: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('nats-server')) && argv.includes(configPath)) return Number(entry);
    } catch {
      // The process exited while we looked; not ours.
    }
  }
  return undefined;
}

function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function peakRssBytesOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface JetStreamRivulet {
  server: ServerProcess;
  cluster: NatsCluster;
  /** nats-server version, from its banner. */
  natsVersion: string;
  /** Peak RSS of each NATS node so far. */
  natsPeakRssBytes(): number[];
  stop(): Promise<void>;
}

/**
 * rivulet-ingest on a fresh 3-node cluster. The returned server's cpuSeconds() counts
 * rivulet-ingest plus the three nats-server processes; peakRssBytes() is rivulet-ingest alone.
 */
export async function startJetStreamRivulet(options: RivuletOptions = {}): Promise<JetStreamRivulet> {
  const cluster = await startNatsCluster();
  running.set(cluster, []);
  try {
    const storage = { engine: 'jetstream', servers: cluster.servers, replicas: JETSTREAM_REPLICAS, prefix: 'bench' };
    const rivulet = await startRivulet({ ...options, config: { ...options.config, storage } });
    const natsPids = cluster.nodes.map((n) => pidOfConfig(join(dirname(n.storeDir), 'nats.conf'))).filter((p): p is number => p !== undefined);
    running.set(cluster, natsPids);
    if (natsPids.length !== cluster.nodes.length) throw new Error(`found ${natsPids.length} of ${cluster.nodes.length} nats-server processes in /proc`);
    const natsVersion = /Version:\s+(\S+)/.exec(cluster.nodes[0]!.output())?.[1] ?? 'unknown';
    const server: ServerProcess = {
      ...rivulet,
      cpuSeconds: () => rivulet.cpuSeconds() + natsPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    };
    return {
      server,
      cluster,
      natsVersion,
      natsPeakRssBytes: () => natsPids.map(peakRssBytesOf),
      async stop() {
        await rivulet.stop();
        await cluster.stop();
        cluster.cleanup();
        running.delete(cluster);
      },
    };
  } catch (err) {
    await cluster.stop();
    cluster.cleanup();
    running.delete(cluster);
    throw err;
  }
}

/** What the JetStream run adds to the method notes. */
export interface JetStreamNotes {
  natsVersion: string;
  natsPeakRssMiB: number[];
}

export function jetstreamMethodLines(js: JetStreamNotes): string[] {
  const rss = js.natsPeakRssMiB.map((m) => Math.round(m).toLocaleString('en-US')).join(' / ');
  return [
    `- rivulet (JetStream R3): the same rivulet-ingest with \`storage: { engine: "jetstream", replicas: ${JETSTREAM_REPLICAS} }\` on a 3-node nats-server ${js.natsVersion} cluster (Debian package; test/harness/nats-cluster.ts) on this machine's loopback, each node with its own store dir on the same disk. JetStream acknowledges a write once 2 of 3 nodes hold it in memory and writes it to disk without an fsync per write, where the LevelDB store fsyncs every group commit; with all replicas on one machine there is no network round trip, so JetStream can come out ahead on latency here. Its "server CPU cores" count rivulet-ingest plus the three nats-server processes; its peak RSS is rivulet-ingest alone (NATS nodes: ${rss} MiB). All replicas share the machine's CPUs and disk, so this shows what replication costs in CPU and round trips, not over a real network.`,
  ];
}
