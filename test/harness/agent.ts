/**
 * Test harness: runs a real rivulet-agent process from YAML config lines (a temp dir holds the
 * config and the buffer; the status endpoint binds a free loopback port) and waits until it says
 * where its status page is. `compiled` runs the built agent, as a device does; otherwise the
 * TypeScript sources through tsx. `dir` restarts an agent on the buffer a previous one left;
 * `buffer` replaces the buffer settings besides its path (YAML flow fields).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './ingest.js';

const STOP_TIMEOUT_MS = 20_000;

export interface AgentProcess {
  child: ChildProcess;
  statusPort: number;
  dir: string;
  output(): string;
  status<T = Record<string, unknown>>(): Promise<T>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash, a power cut for everything but the disk) and wait for the exit. */
  kill(): Promise<void>;
  /** Resolves with the exit code, or the signal that ended the process. */
  exited: Promise<number | NodeJS.Signals | null>;
}

export async function startAgent(configLines: readonly string[], opts: { compiled?: boolean; env?: Record<string, string>; dir?: string; buffer?: string } = {}): Promise<AgentProcess> {
  const dir = opts.dir ?? tempDir('rivulet-agent-');
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, [...configLines, `buffer: { path: "${join(dir, 'buffer')}", ${opts.buffer ?? 'maxBytes: 1GiB'} }`, 'status: { port: 0 }'].join('\n'));
  const entry = opts.compiled ? [join(REPO_ROOT, 'agent/bin/rivulet-agent.js')] : ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'agent/src/main.ts')];
  const child = spawn(process.execPath, [...entry, 'run', '--config', config], {
    cwd: REPO_ROOT,
    env: { ...process.env, RIVULET_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const ended = new Promise<number | NodeJS.Signals | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  const exited = ended.then((code) => (typeof code === 'number' ? code : null));
  const statusPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rivulet-agent did not start:\n${out}`)), 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`rivulet-agent exited with ${code}:\n${out}`));
    });
    child.stdout!.on('data', () => {
      const m = /status on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    child,
    statusPort,
    dir,
    output: () => out,
    status: async <T>() => (await (await fetch(`http://127.0.0.1:${statusPort}/status.json`)).json()) as T,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      // A shutdown that hangs is a bug to report, not a test run to hang.
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await ended;
      clearTimeout(timer);
      if (code === 'SIGKILL') throw new Error(`rivulet-agent did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${out.slice(-2000)}`);
      return typeof code === 'number' ? code : null;
    },
    exited: ended,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
