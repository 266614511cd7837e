/**
 * Runs one of the demo's Node programs (rivulet-ingest, rivulet-agent) from its TypeScript
 * sources, the way `npm run demo` runs itself: waits for the line that says it is up, passes its
 * output on with a prefix, and stops it with SIGTERM.
 *
 * The child gets its own process group, so a Ctrl-C in the terminal reaches only the demo, which
 * then stops the agent before the server. Where util-linux's setpriv exists the child also gets
 * SIGTERM when the demo dies, even by kill -9, so nothing is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';
const STOP_TIMEOUT_MS = 30_000;

export interface DemoChild {
  name: string;
  /** The first match of `ready` in the child's stdout. */
  ready: RegExpExecArray;
  /** SIGTERM and wait; resolves with the exit code (SIGKILL after 30 s, then null). */
  stop(): Promise<number | null>;
  /** Resolves when the child exits, for whatever reason. */
  exited: Promise<number | null>;
}

export interface DemoChildOptions {
  name: string;
  cwd: string;
  /** Arguments after `node --conditions=rivulet-src --import tsx`. */
  args: string[];
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  timeoutMs: number;
  /** Where the child's output goes, line by line. */
  print: (line: string) => void;
}

export async function startChild(o: DemoChildOptions): Promise<DemoChild> {
  const node = [process.execPath, '--conditions=rivulet-src', '--import', 'tsx', ...o.args];
  const [command, ...args] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGTERM', '--', ...node] : node;
  const child: ChildProcess = spawn(command!, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let seen = '';
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${o.name} did not start within ${o.timeoutMs} ms:\n${seen}`)), o.timeoutMs);
    child.once('error', (err) => reject(new Error(`${o.name} could not be started: ${err.message}`)));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${o.name} exited with ${code} before it was ready:\n${seen}`));
    });
    const onLine = (line: string) => {
      const m = o.ready.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (seen.length < 64 * 1024) seen += `${line}\n`;
          o.print(`[${o.name}] ${line}`);
          onLine(line);
        }
      });
    }
  });
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    return { name: o.name, ready: await ready, stop, exited };
  } catch (err) {
    await stop();
    throw err;
  }
}
