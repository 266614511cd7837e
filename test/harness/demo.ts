/**
 * Test harness: runs exactly what `npm run demo` runs (scripts/demo.ts through tsx, on a given
 * data directory and a free port) and resolves once the demo printed its `console: <url>` line,
 * with the URLs it printed. `stop()` sends SIGTERM and waits; the demo then stops its agent and
 * its server, and is expected to exit 0 (stop rejects otherwise, with the output).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './ingest.js';

const STOP_TIMEOUT_MS = 30_000;

export interface DemoProcess {
  /** The ingest server's URL (AWS endpoint for every service). */
  endpoint: string;
  /** The web console, as printed on the `console: <url>` line. */
  consoleUrl: string;
  /** The agent's status server. */
  agentStatusUrl: string;
  /** Where the Firehose delivery stream `demo-delivery` writes its files. */
  deliveryDir: string;
  /** Everything the demo (and its children) printed. */
  output(): string;
  /** SIGTERM, wait for the exit; rejects unless the demo exits 0. */
  stop(): Promise<void>;
}

export interface DemoOptions {
  dataDir: string;
  timeoutMs?: number;
  /** Extra environment for the demo process (e.g. FFMPEG_PATH). */
  env?: Record<string, string>;
}

function lineValue(out: string, label: string): string | undefined {
  return new RegExp(`^\\s*${label}:\\s*(.+?)\\s*$`, 'm').exec(out)?.[1];
}

export async function startDemo(opts: DemoOptions): Promise<DemoProcess> {
  const args = ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'scripts/demo.ts'), '--data-dir', opts.dataDir, '--port', '0'];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const ended = new Promise<number | NodeJS.Signals | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));

  const consoleUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not print its console line in time:\n${out}`)), opts.timeoutMs ?? 90_000);
    const check = () => {
      const url = lineValue(out, 'console');
      if (url) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(url);
      }
    };
    child.stdout.on('data', check);
    void ended.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code} before printing its console line:\n${out}`));
    });
  });
  const required = (label: string): string => {
    const value = lineValue(out, label);
    if (!value) throw new Error(`the demo printed no "${label}:" line before its console line:\n${out}`);
    return value;
  };
  return {
    endpoint: required('endpoint'),
    consoleUrl,
    agentStatusUrl: required('agent status'),
    deliveryDir: required('delivery files'),
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await ended;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`the demo exited with ${code} (expected 0):\n${out.slice(-4000)}`);
    },
  };
}
