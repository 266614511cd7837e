/**
 * Test harness: owns one throwaway Mosquitto broker per call. It finds the binary, writes a
 * config into a fresh temp dir (loopback listener on a free port, anonymous access, persistence
 * in that dir), starts it in the foreground, waits until the port accepts TCP, and on stop()
 * sends SIGTERM, waits for exit and removes the dir. It does not install Mosquitto
 * (scripts/install-system-deps.sh does) and never touches a system broker on port 1883.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';

export interface MosquittoBroker {
  /** `mqtt://127.0.0.1:<port>`, ready for mqtt.js. */
  url: string;
  port: number;
  /** Everything the broker printed, for post-mortems. */
  output(): string;
  /** SIGTERM, wait for exit, remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;
const STOP_TIMEOUT_MS = 5_000;
// A free port can be taken between our probe and Mosquitto's bind; retry that case only.
const MAX_START_ATTEMPTS = 3;

/** Absolute path of an executable found on PATH or in `extraDirs`, or undefined. */
export function findExecutable(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...extraDirs].filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}

/** A port on 127.0.0.1 that was free a moment ago: bind port 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected server address: ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function mosquittoConfig(port: number, dir: string): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    // Persistent sessions (clean: false) survive the client going away; the store lives in dir.
    'persistence true',
    `persistence_location ${dir}/`,
    'log_dest stdout',
    // Run as root, Mosquitto 2 drops to user "mosquitto", which cannot write our 0700 temp dir.
    // Naming the current user keeps it as is; the option is ignored when not root.
    `user ${userInfo().username}`,
    '',
  ].join('\n');
}

export async function startMosquitto(): Promise<MosquittoBroker> {
  const binary = findExecutable('mosquitto', ['/usr/sbin']);
  if (binary === undefined) {
    throw new Error('mosquitto not found on PATH or in /usr/sbin; run scripts/install-system-deps.sh');
  }
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, await freePort());
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw new Error(`mosquitto could not bind a free port in ${MAX_START_ATTEMPTS} attempts`, { cause: lastError });
}

async function startOnce(binary: string, port: number): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-mosquitto-'));
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, mosquittoConfig(port, dir));

  const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;
  const removeDir = () => rmSync(dir, { recursive: true, force: true });

  const stop = async () => {
    if (!hasExited()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited()) {
      // Let the pipes drain so the error carries Mosquitto's last words.
      if (spawnError === undefined) await exited;
      removeDir();
      throw new Error(`mosquitto exited before accepting connections on port ${port}:\n${out}`, { cause: spawnError });
    }
    if (await acceptsTcp(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mosquitto did not accept connections on port ${port} within ${READY_TIMEOUT_MS} ms:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  return { url: `mqtt://127.0.0.1:${port}`, port, output: () => out, stop };
}
