/**
 * Test harness: owns one throwaway PostgreSQL server per call, from Debian's
 * /usr/lib/postgresql/<version>/bin. It runs initdb into a fresh temp dir (password auth only,
 * a superuser with a random password), starts `postgres` in the foreground listening on
 * 127.0.0.1 at a free port with its unix socket inside that dir, creates one database, and on
 * stop() asks for a fast shutdown (SIGINT), waits, and removes the dir. PostgreSQL refuses to run
 * as root, so as root every step runs as the `postgres` system user, which owns the dir.
 * It does not install PostgreSQL (scripts/install-system-deps.sh does) and never touches a
 * cluster managed by pg_ctlcluster.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findExecutable, freePort } from './mosquitto.js';

export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** `jdbc:postgresql://127.0.0.1:<port>/<database>`, the form Firehose destinations take. */
  jdbcUrl: string;
  /** Everything initdb and the server printed, for post-mortems. */
  output(): string;
  /** Fast shutdown, wait for exit, remove the dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Budget for initdb, start-up and database creation together. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;
const STOP_TIMEOUT_MS = 10_000;
// A free port can be taken between our probe and the server's bind; retry that case only.
const MAX_START_ATTEMPTS = 3;
const PG_ROOT = '/usr/lib/postgresql';
const SYSTEM_USER = 'postgres';
const SUPERUSER = 'rivulet';
const DATABASE = 'rivulet';

// Servers not yet stopped in this process, by temp dir, so the 'exit' hook can reach those a
// test never stopped.
const liveServers = new Map<string, ChildProcess>();
let exitHookInstalled = false;

function cleanUpOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [dir, child] of liveServers) {
      child.kill('SIGKILL');
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // The dying server may still be writing into it; the dir is only litter in tmpdir.
      }
    }
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The bin dir of the newest PostgreSQL under /usr/lib/postgresql that has initdb and postgres. */
export function findPostgresBinDir(): string {
  const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(PG_ROOT, version, 'bin');
    if (isExecutable(join(bin, 'initdb')) && isExecutable(join(bin, 'postgres'))) return bin;
  }
  throw new Error(`no PostgreSQL server under ${PG_ROOT}/<version>/bin; run scripts/install-system-deps.sh (postgresql)`);
}

interface RunAs {
  /** argv rewritten to run as the server's owner, killed by the kernel if this process dies. */
  wrap(argv: readonly string[]): [string, string[]];
  uid: number;
  gid: number;
}

function runAs(): RunAs {
  const setpriv = findExecutable('setpriv', ['/usr/bin']);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    const uid = process.getuid?.() ?? -1;
    const gid = process.getgid?.() ?? -1;
    const wrap = (argv: readonly string[]): [string, string[]] =>
      setpriv === undefined ? [argv[0]!, argv.slice(1)] : [setpriv, ['--pdeathsig', 'KILL', '--', ...argv]];
    return { wrap, uid, gid };
  }
  if (setpriv === undefined) throw new Error('setpriv (util-linux) is needed to run PostgreSQL as the postgres user');
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' }).trim());
  } catch (err) {
    throw new Error(`system user ${SYSTEM_USER} not found; run scripts/install-system-deps.sh (postgresql)`, { cause: err });
  }
  // setpriv execs the command itself: no su/runuser parent in between, so signals reach postgres.
  const wrap = (argv: readonly string[]): [string, string[]] => [
    setpriv,
    ['--reuid', String(uid), '--regid', String(gid), '--init-groups', '--reset-env', '--pdeathsig', 'KILL', '--', ...argv],
  ];
  return { wrap, uid, gid };
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgServer> {
  const bin = findPostgresBinDir();
  const owner = runAs();
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(bin, owner, deadline);
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use/i.test(lastError.message) || Date.now() > deadline) throw lastError;
    }
  }
  throw new Error(`postgres could not bind a free port in ${MAX_START_ATTEMPTS} attempts`, { cause: lastError });
}

async function startOnce(bin: string, owner: RunAs, deadline: number): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-postgres-'));
  chownSync(dir, owner.uid, owner.gid);
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  let out = '';
  const removeDir = () => {
    rmSync(dir, { recursive: true, force: true });
    liveServers.delete(dir);
  };

  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, owner.uid, owner.gid);
  const initdb = owner.wrap([
    join(bin, 'initdb'),
    '-D', dataDir,
    '-U', SUPERUSER,
    `--pwfile=${pwfile}`,
    // Password checks on every connection, local socket included: the tests prove it.
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    // Throwaway data: skip the fsyncs that make initdb slow.
    '--no-sync',
  ]);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(initdb[0], initdb[1], { cwd: dir, timeout: Math.max(1, deadline - Date.now()), killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        out += stdout + stderr;
        if (err) reject(err);
        else resolve();
      });
    });
  } catch (err) {
    removeDir();
    throw new Error(`initdb failed:\n${out}`, { cause: err });
  } finally {
    rmSync(pwfile, { force: true });
  }

  const port = await freePort();
  const [file, args] = owner.wrap([
    join(bin, 'postgres'),
    '-D', dataDir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `port=${port}`,
    '-c', `unix_socket_directories=${dir}`,
    // Durability is not under test; these make writes and shutdown fast.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'shared_buffers=16MB',
    '-c', 'max_connections=50',
  ]);
  const child = spawn(file, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  liveServers.set(dir, child);
  cleanUpOnExit();
  const hasExited = () => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;

  const stop = async () => {
    if (!hasExited()) {
      // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, exit at once.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  };

  for (;;) {
    if (hasExited()) {
      if (spawnError === undefined) await exited;
      removeDir();
      throw new Error(`postgres exited before accepting connections on port ${port}:\n${out}`, { cause: spawnError });
    }
    if (out.includes('database system is ready to accept connections')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`postgres did not get ready on port ${port} in time:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  const host = '127.0.0.1';
  const admin = new pg.Client({ host, port, user: SUPERUSER, password, database: 'postgres' });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } catch (err) {
    await stop();
    throw new Error(`could not create database ${DATABASE} on port ${port}:\n${out}`, { cause: err });
  } finally {
    await admin.end().catch(() => undefined);
  }

  return {
    host,
    port,
    user: SUPERUSER,
    password,
    database: DATABASE,
    jdbcUrl: `jdbc:postgresql://${host}:${port}/${DATABASE}`,
    output: () => out,
    stop,
  };
}
