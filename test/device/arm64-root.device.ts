/**
 * The device test (`npm run test:device`, root only): a real arm64 Debian bookworm root made with
 * debootstrap and run through qemu-user-static. It builds the arm64 offline bundle, installs it
 * into the root with `install.sh --root`, starts a real rivulet-ingest on the host's loopback,
 * runs the installed agent under qemu in a chroot (which shares the host's network), and reads
 * back through the AWS SDK the records of the agent's system source.
 * It owns the chroot's lifecycle (the /proc mount, the extracted root); make-root.sh owns the
 * root's cache, build-bundle.sh and install.sh what they build and install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { http1Kinesis } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const DEVICE_ID = 'pi-test';
const WORK_DIR = process.env.RIVULET_DEVICE_WORKDIR ?? '/var/tmp';
const AGENT_START_TIMEOUT_MS = 120_000;
const FIRST_RECORDS_TIMEOUT_MS = 120_000;
const AGENT_STOP_TIMEOUT_MS = 60_000;

const timings: Array<[string, number]> = [];
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const startedMs = performance.now();
  try {
    return await fn();
  } finally {
    const ms = performance.now() - startedMs;
    timings.push([name, ms]);
    process.stdout.write(`device test: ${name}: ${(ms / 1000).toFixed(1)} s\n`);
  }
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => ((stdout += c.toString()), (out += c.toString())));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${out}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Mount points at or under dir, deepest first (the order to unmount them). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** uid:gid of a user in the root's own /etc/passwd (chroot(1) may look names up on the host). */
function userspec(root: string, user: string): string {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) throw new Error(`no user ${user} in ${root}/etc/passwd`);
  return `${fields[2]}:${fields[3]}`;
}

interface InstalledConfig {
  server: { endpoint: string };
  sources: Array<{ type: string; stream?: string }>;
  status?: { port?: number };
}

let root: string | undefined;
let bundleDir: string | undefined;
let secretDir: string | undefined;
let server: IngestProcess | undefined;
let agent: ChildProcess | undefined;
let agentOutput = '';

async function stopAgent(): Promise<number | string | null> {
  const child = agent;
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

afterAll(async () => {
  const problems: string[] = [];
  await step('cleanup', async () => {
    await stopAgent().catch((err: unknown) => problems.push(`agent: ${String(err)}`));
    await server?.stop();
    server?.cleanup();
    if (root) {
      for (const m of mountsUnder(root)) await run('umount', [m]).catch(() => run('umount', ['-l', m]));
      const left = mountsUnder(root);
      // Never rm -rf across a mount: it would reach into the host's /proc or /dev.
      if (left.length > 0) problems.push(`still mounted, ${root} kept: ${left.join(', ')}`);
      else rmSync(root, { recursive: true, force: true });
    }
    for (const dir of [bundleDir, secretDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const table = timings.map(([name, ms]) => `  ${name.padEnd(44)} ${(ms / 1000).toFixed(1).padStart(7)} s`).join('\n');
  process.stdout.write(`device test timings:\n${table}\n`);
  if (problems.length > 0) throw new Error(`device test cleanup: ${problems.join('; ')}`);
}, AGENT_STOP_TIMEOUT_MS + 30_000);

describe('the agent on a real arm64 Debian root', () => {
  it('installs from the arm64 bundle with install.sh --root and uploads its system source from qemu', async () => {
    expect(process.getuid?.(), 'the device test needs root (debootstrap, chroot, mount)').toBe(0);

    root = mkdtempSync(join(WORK_DIR, 'rivulet-device-root-'));
    const rootDir = root;
    await step('arm64 root (debootstrap or cache)', async () => {
      process.stdout.write(await run('bash', [join(REPO_ROOT, 'test/device/make-root.sh'), rootDir]));
    });

    bundleDir = mkdtempSync(join(WORK_DIR, 'rivulet-device-bundle-'));
    const bundle = await step('build-bundle.sh --arch arm64', async () => {
      const out = await run('bash', [join(REPO_ROOT, 'firmware-scripts/build-bundle.sh'), '--arch', 'arm64', '--out', bundleDir!]);
      return out.trim().split('\n').pop() ?? '';
    });
    expect(bundle).toMatch(/rivulet-agent-.+-linux-arm64\.tgz$/);

    // A real server with SigV4 on, and a key for the device, as an operator would provision it.
    const key = await step('rivulet-ingest key and start', async () => {
      const dataDir = tempDir();
      const main = join(REPO_ROOT, 'ingest-server/src/main.ts');
      const created = await run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', main, 'keys', 'create', '--name', DEVICE_ID, '--json', '--data-dir', dataDir]);
      server = await startIngest({ dataDir, args: ['--auth', 'sigv4'] });
      return JSON.parse(created) as { accessKeyId: string; secretAccessKey: string };
    });
    secretDir = tempDir('rivulet-device-secret-');
    const secretFile = join(secretDir, 'secret');
    writeFileSync(secretFile, `${key.secretAccessKey}\n`, { mode: 0o600 });
    const statusPort = await freePort();

    await step('install.sh --root', async () => {
      const args = [join(REPO_ROOT, 'firmware-scripts/install.sh'), '--root', rootDir, '--bundle', bundle, '--skip-ffmpeg', '--non-interactive'];
      args.push('--server', server!.endpoint, '--device-id', DEVICE_ID, '--access-key', key.accessKeyId, '--secret-file', secretFile);
      args.push('--status-port', String(statusPort));
      process.stdout.write(await run('sh', args));
    });

    const config = parse(readFileSync(join(rootDir, 'etc/rivulet/agent.yaml'), 'utf8')) as InstalledConfig;
    expect(config.server.endpoint).toBe(server!.endpoint);
    const stream = config.sources.find((s) => s.type === 'system')?.stream;
    expect(stream, 'the installed agent.yaml has a system source').toBeTruthy();
    const kinesis = http1Kinesis(server!.endpoint, { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    try {
      // The agent uploads to existing streams; it does not create them.
      await kinesis.send(new CreateStreamCommand({ StreamName: stream!, ShardCount: 1 }));

      // The root bound onto itself is a mount point, so df finds "/" in the chroot's mount table
      // (the system source's disk probe); /proc serves its CPU, memory and network probes.
      await run('mount', ['--bind', rootDir, rootDir]);
      await run('mount', ['-t', 'proc', 'proc', join(rootDir, 'proc')]);
      const startedMs = performance.now();
      await step('agent start under qemu', async () => {
        const node = '/opt/rivulet/current/node/bin/node';
        const entry = '/opt/rivulet/current/app/bin/rivulet-agent.js';
        const child = spawn('chroot', [`--userspec=${userspec(rootDir, 'rivulet')}`, rootDir, node, entry, 'run', '--config', '/etc/rivulet/agent.yaml'], {
          // Only what a service would have: no NOTIFY_SOCKET or other host variables.
          env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/var/lib/rivulet', NODE_ENV: 'production', RIVULET_LOG_LEVEL: 'info' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        agent = child;
        child.stdout.on('data', (c: Buffer) => (agentOutput += c.toString()));
        child.stderr.on('data', (c: Buffer) => (agentOutput += c.toString()));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the agent did not start under qemu:\n${agentOutput}`)), AGENT_START_TIMEOUT_MS);
          child.once('error', (err) => {
            clearTimeout(timer);
            reject(err);
          });
          child.once('exit', (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`the agent exited with ${code ?? signal}:\n${agentOutput}`));
          });
          child.stdout.on('data', () => {
            if (agentOutput.includes('rivulet-agent running')) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      });
      // chroot execs node in place: the pid is the arm64 node, run by the kernel through qemu.
      expect(readlinkSync(`/proc/${agent!.pid}/exe`)).toMatch(/qemu-aarch64/);
      const healthz = await fetch(`http://127.0.0.1:${config.status?.port ?? statusPort}/healthz`);
      expect(healthz.status).toBe(200);

      const records = await step('first system records uploaded', async () => {
        const deadline = performance.now() + FIRST_RECORDS_TIMEOUT_MS;
        for (;;) {
          const got = await readFollowingLineage(kinesis, stream!);
          if (got.length > 0) {
            timings.push(['  (from agent spawn to first record)', performance.now() - startedMs]);
            return got;
          }
          if (performance.now() > deadline) throw new Error(`no records in ${stream} after ${FIRST_RECORDS_TIMEOUT_MS} ms; agent said:\n${agentOutput}`);
          // Stays under the 5 GetRecords/s per shard the server allows.
          await new Promise((r) => setTimeout(r, 1000));
        }
      });
      process.stdout.write(`device test: first record from the arm64 agent: ${records[0]!.data}\n`);
      const sample = JSON.parse(records[0]!.data) as { kind: string; deviceId: string; memory: { totalBytes: number } | null; disk: { totalBytes: number } | null; network: object | null; agent: { version: string } };
      expect(sample).toMatchObject({ kind: 'rivulet.health/1', deviceId: DEVICE_ID });
      expect(sample.memory?.totalBytes).toBeGreaterThan(0);
      expect(sample.disk?.totalBytes, 'disk usage of / inside the root').toBeGreaterThan(0);
      expect(sample.network, 'network counters (ip and /proc/net/dev)').not.toBeNull();
      expect(sample.agent.version).toBe(readFileSync(join(rootDir, 'opt/rivulet/current/VERSION'), 'utf8').trim());
      expect(records.every((r) => r.partitionKey === DEVICE_ID)).toBe(true);

      const code = await step('agent stop (SIGTERM)', stopAgent);
      expect(code, agentOutput).toBe(0);
    } finally {
      kinesis.destroy();
    }
  });
});
