/**
 * Test harness for the rivulet CLI: runs it as a child process (from source through tsx, or
 * the compiled bin) against a server, with stdin, and collects exit code, stdout and stderr.
 * `spawnCli` starts a long-running command (tail) that the test reads and then interrupts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './ingest.js';

export const CLI_SOURCE = join(REPO_ROOT, 'cli/src/main.ts');
export const CLI_BIN = join(REPO_ROOT, 'cli/bin/rivulet.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  endpoint?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Run cli/bin/rivulet.js (needs `tsc -b`) instead of the TypeScript source. */
  compiled?: boolean;
  cwd?: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout satisfies `done`; rejects after timeoutMs with what was printed. */
  waitFor(done: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<CliResult>;
}

/** Starts the CLI; the child's env has no AWS credentials unless given. */
export function spawnCli(args: readonly string[], o: CliOptions = {}): CliProcess {
  const argv = o.compiled ? [CLI_BIN, ...args] : ['--conditions=rivulet-src', '--import', 'tsx', CLI_SOURCE, ...args];
  const env: Record<string, string | undefined> = { ...process.env, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined, ...o.env };
  if (o.endpoint) env.RIVULET_ENDPOINT = o.endpoint;
  const child = spawn(process.execPath, argv, { cwd: o.cwd ?? REPO_ROOT, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  if (o.input !== undefined) child.stdin!.end(o.input);
  else child.stdin!.end();
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(done, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          if (done(out)) return resolve(out);
          if (Date.now() > deadline || child.exitCode !== null) return reject(new Error(`CLI output did not arrive; stdout:\n${out}\nstderr:\n${err}`));
          setTimeout(check, 50);
        };
        check();
      });
    },
  };
}

/** Runs the CLI to completion (killed after timeoutMs). */
export async function runCli(args: readonly string[], o: CliOptions = {}): Promise<CliResult> {
  const p = spawnCli(args, o);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Parses JSON lines output. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}
