/**
 * The servers under test for bench/streams.ts, each a child process on a free loopback port:
 * rivulet-ingest (durable LevelDB in a temp dir, throughput limits off) and kinesalite (its
 * default in-memory store). Owns spawning, readiness, peak-RSS and CPU sampling from /proc, and
 * cleanup of children and temp dirs on every exit path. Does not drive any workload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INGEST_MAIN = join(REPO_ROOT, 'ingest-server/src/main.ts');
const INGEST_BIN = join(REPO_ROOT, 'ingest-server/bin/rivulet-ingest.js');
const READY_TIMEOUT_MS = 30_000;
/** Linux: /proc/<pid>/stat times are in clock ticks, USER_HZ, which is 100 on every mainstream build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Kinesalite as a library (its CLI maps --port 0 to 4567), on an ephemeral loopback port. */
const KINESALITE_SCRIPT = `
const kinesalite = require('kinesalite');
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
server.listen(0, '127.0.0.1', () => console.log('kinesalite listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** 'rivulet-jetstream' is rivulet-ingest on a 3-node JetStream cluster (streams-jetstream.ts). */
export type ServerName = 'rivulet' | 'kinesalite' | 'rivulet-jetstream';

export interface ServerProcess {
  name: ServerName;
  endpoint: string;
  pid: number;
  /** rivulet only: its data directory. */
  dataDir?: string;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): number;
  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** SIGTERM, wait for exit (so a --cpu-prof profile gets written), then remove temp dirs. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Kills every child still running and removes every temp dir; safe to call more than once. */
export function cleanupAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function readProcStatusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : Number.NaN;
}

function readProcCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function spawnUntilReady(name: ServerName, args: string[], ready: RegExp, dirs: string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, RIVULET_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  for (const d of dirs) tempDirs.add(d);
  let output = '';
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const onOutput = (chunk: Buffer) => {
    // Keep the tail only: a post-mortem needs the last lines, not a growing buffer.
    output = (output + chunk.toString()).slice(-16_384);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name} did not start within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    child.stdout?.on('data', () => {
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      rej(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${output}`));
    });
  });
  const pid = child.pid!;
  let lastPeakBytes = 0;
  let lastCpuSeconds = 0;
  return {
    name,
    endpoint: `http://127.0.0.1:${port}`,
    pid,
    peakRssBytes() {
      if (child.exitCode === null) lastPeakBytes = readProcStatusKb(pid, 'VmHWM') * 1024;
      return lastPeakBytes;
    },
    cpuSeconds() {
      if (child.exitCode === null) lastCpuSeconds = readProcCpuSeconds(pid);
      return lastCpuSeconds;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killTimer);
      }
      children.delete(child);
      for (const d of dirs) {
        rmSync(d, { recursive: true, force: true });
        tempDirs.delete(d);
      }
    },
  };
}

export interface RivuletOptions {
  /** When set, the server runs under `node --cpu-prof` and writes its profile here on SIGTERM. */
  cpuProfileDir?: string | undefined;
  /** Server config merged over the bench default (per-shard limits off). */
  config?: Record<string, unknown>;
  /** Run the compiled server (ingest-server/bin, as installed) instead of the sources through tsx. */
  compiled?: boolean;
}

/** rivulet-ingest with durable writes (the default) and per-shard limits off, as for bulk load. */
export async function startRivulet(options: RivuletOptions = {}): Promise<ServerProcess> {
  const root = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ streams: { limits: { enabled: false } }, ...options.config }));
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  // The flags `npm start` and the bin's shebang give the server.
  const entry = ['--max-semi-space-size=32', ...(options.compiled ? [INGEST_BIN] : ['--conditions=rivulet-src', '--import', 'tsx', INGEST_MAIN])];
  const args = [...profile, ...entry, '--host', '127.0.0.1', '--port', '0', '--data-dir', join(root, 'data'), '--config', configFile];
  const server = await spawnUntilReady('rivulet', args, /rivulet-ingest listening on https?:\/\/[^:]+:(\d+)/, [root]);
  return { ...server, dataDir: join(root, 'data') };
}

/** kinesalite with instant stream state changes and its default in-memory (memdown) store. */
export async function startKinesalite(): Promise<ServerProcess> {
  return spawnUntilReady('kinesalite', ['-e', KINESALITE_SCRIPT], /kinesalite listening on http:\/\/[^:]+:(\d+)/, []);
}

/** CPU seconds every process on the machine has used since boot (from /proc/stat), idle excluded. */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

/** The filesystem type holding `path` (longest mount prefix in /proc/mounts), e.g. "ext4". */
export function filesystemOf(path: string): string {
  let best = { mount: '', type: 'unknown' };
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mount, type] = line.split(' ');
    if (mount && type && (path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`)) && mount.length >= best.mount.length) {
      best = { mount, type };
    }
  }
  return best.type;
}
