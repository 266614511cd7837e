/**
 * Test harness: starts a real rivulet-ingest process on a free loopback port with a temporary
 * data directory, waits for its "listening on" line, and stops it (SIGTERM) or kills it (-9).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(REPO_ROOT, 'ingest-server/src/main.ts');

export interface IngestProcess {
  endpoint: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process printed, for assertions and post-mortems. */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Removes the data directory (after stop or kill). */
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function tempDir(prefix = 'rivulet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startIngest(options: StartOptions = {}): Promise<IngestProcess> {
  const dataDir = options.dataDir ?? tempDir();
  const args = ['--conditions=rivulet-src', '--import', 'tsx', MAIN, '--host', '127.0.0.1', '--port', String(options.port ?? 0), '--data-dir', dataDir, ...(options.args ?? [])];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, RIVULET_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`rivulet-ingest did not start in time:\n${out}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      const m = /listening on https?:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`rivulet-ingest exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
