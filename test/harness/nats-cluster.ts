/**
 * Test harness: owns one throwaway NATS JetStream cluster per call (3 nodes by default) on
 * loopback, from Debian's `nats-server` package. Each node gets its own client port, cluster
 * port, store directory and generated config; all nodes route to each other. startNatsCluster
 * resolves once every node answers a JetStream account-info request (which needs an elected
 * meta leader). A node can be killed (SIGKILL by default, like a machine loss) and restarted on
 * the same ports and store directory. It does not install nats-server and never touches a
 * system server on 4222.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { findExecutable, freePort } from './mosquitto.js';

export interface NatsNode {
  name: string;
  /** Client port (the one in `servers`). */
  port: number;
  storeDir: string;
  readonly alive: boolean;
  /** Everything this node printed since it was last started, for post-mortems. */
  output(): string;
  /** Sends `signal` (SIGKILL by default) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again on the same ports and store dir; resolves once it answers JetStream. */
  restart(): Promise<void>;
}

export interface NatsCluster {
  /** `nats://127.0.0.1:<port>`, one per node, in node order. */
  servers: string[];
  nodes: NatsNode[];
  /** SIGTERM every live node and wait for exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Removes the cluster's directory (after stop). */
  cleanup(): void;
}

export interface NatsClusterOptions {
  nodes?: number;
  /** Parent directory for the node dirs; a fresh temp dir by default (removed by cleanup). */
  dir?: string;
  /** nats-server `max_payload`; '8MB' by default, as rivulet needs (NATS's own default is 1MB). */
  maxPayload?: string;
}

const READY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 200;
const STOP_TIMEOUT_MS = 10_000;
const CLUSTER_NAME = 'rivulet-test';

/** Debian installs nats-server in /usr/sbin, which is not always on PATH. */
export function natsServerBinary(): string {
  const binary = findExecutable('nats-server', ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin']);
  if (binary === undefined) throw new Error('nats-server not found (apt-get install nats-server)');
  return binary;
}

interface NodePlan {
  name: string;
  port: number;
  clusterPort: number;
  dir: string;
  storeDir: string;
  configPath: string;
}

function nodeConfig(plan: NodePlan, all: readonly NodePlan[], maxPayload: string): string {
  const routes = all.filter((p) => p !== plan).map((p) => `    nats-route://127.0.0.1:${p.clusterPort}`);
  // One node runs standalone: a cluster block with no routes would wait for peers that never come.
  const cluster = all.length === 1 ? [] : ['cluster {', `  name: ${CLUSTER_NAME}`, `  listen: 127.0.0.1:${plan.clusterPort}`, '  routes: [', ...routes, '  ]', '}'];
  return [
    `server_name: ${plan.name}`,
    `listen: 127.0.0.1:${plan.port}`,
    // Rivulet stores one PutRecords shard batch per message: up to ~6.7 MiB (5 MiB as base64).
    `max_payload: ${maxPayload}`,
    'jetstream {',
    `  store_dir: "${plan.storeDir}"`,
    '  max_memory_store: 256MB',
    '  max_file_store: 4GB',
    '}',
    ...cluster,
    '',
  ].join('\n');
}

/** Resolves once the server at `port` answers a JetStream account-info request. */
async function waitForJetStream(port: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false, timeout: 2_000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  throw new Error(`nats-server on ${port} did not answer JetStream in time (${String(lastError)}):\n${describe()}`);
}

class ManagedNode implements NatsNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private out = '';

  constructor(
    private readonly binary: string,
    private readonly plan: NodePlan,
  ) {}

  get name(): string {
    return this.plan.name;
  }
  get port(): number {
    return this.plan.port;
  }
  get storeDir(): string {
    return this.plan.storeDir;
  }
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  output(): string {
    return this.out;
  }

  /** Spawns the process without waiting for readiness (the cluster waits for all at once). */
  spawn(): void {
    if (this.alive) throw new Error(`${this.name} is already running`);
    this.out = '';
    const child = spawn(this.binary, ['-c', this.plan.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.out += c.toString()));
    this.exited = new Promise((res) => child.once('exit', () => res()));
    this.child = child;
  }

  async waitReady(): Promise<void> {
    await waitForJetStream(this.plan.port, () => `${this.name}:\n${this.out}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.child?.kill(signal);
    const timer = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.child?.kill('SIGKILL');
      await this.exited;
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    this.spawn();
    await this.waitReady();
  }
}

export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const binary = natsServerBinary();
  const count = options.nodes ?? 3;
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'rivulet-nats-'));
  const used = new Set<number>();
  const port = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  const plans: NodePlan[] = [];
  for (let i = 0; i < count; i++) {
    const name = `n${i + 1}`;
    const dir = join(root, name);
    plans.push({ name, port: await port(), clusterPort: await port(), dir, storeDir: join(dir, 'jetstream'), configPath: join(dir, 'nats.conf') });
  }
  for (const plan of plans) {
    mkdirSync(plan.storeDir, { recursive: true });
    writeFileSync(plan.configPath, nodeConfig(plan, plans, options.maxPayload ?? '8MB'));
  }
  const nodes = plans.map((plan) => new ManagedNode(binary, plan));
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
  };
  try {
    for (const node of nodes) node.spawn();
    await Promise.all(nodes.map((n) => n.waitReady()));
  } catch (err) {
    await stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    servers: plans.map((p) => `nats://127.0.0.1:${p.port}`),
    nodes,
    stop,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
