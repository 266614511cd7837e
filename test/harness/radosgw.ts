/**
 * Test harness: owns one throwaway single-node Ceph cluster per call, fronted by radosgw, so
 * tests can talk to a real S3 server. Each call gets a fresh temp dir (config, monmap, mon and
 * OSD data, run dir, admin sockets, logs), a unique fsid and free loopback ports; it runs one
 * ceph-mon, one ceph-osd (BlueStore on a sparse file) and radosgw in the foreground as children,
 * creates an S3 user, and on stop() kills all three and removes the dir. No cephx (auth "none"),
 * no manager, pools of size 1: this is a test double with a real S3 wire protocol, not a cluster.
 * It does not install Ceph (scripts/install-system-deps.sh does) and never reads /etc/ceph.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, freePort } from './mosquitto.js';

export interface S3Server {
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** What the daemons printed, plus the tails of their log files while the dir exists. */
  output(): string;
  /** Kills radosgw, the OSD and the monitor, waits for them, removes the dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRadosgwOptions {
  /** Budget for the whole start-up, user creation included. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 200;
const COMMAND_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
// A free port can be taken between our probe and the daemon's bind; retry that case only.
const MAX_START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;
// Sparse: only what BlueStore writes takes disk space.
const OSD_BLOCK_BYTES = 4 * 1024 ** 3;
// radosgw's default zonegroup accepts requests signed for any region; us-east-1 keeps the SDK
// from sending a LocationConstraint on CreateBucket.
const REGION = 'us-east-1';
const BINARIES = ['monmaptool', 'ceph-mon', 'ceph', 'ceph-osd', 'radosgw', 'radosgw-admin'] as const;
type Binary = (typeof BINARIES)[number];

// Clusters not yet stopped in this process, by temp dir. A plain registry rather than state on
// each server, because the 'exit' hook must reach every one when a test forgets stop() or throws.
const liveClusters = new Map<string, ChildProcess[]>();
let exitHookInstalled = false;

function cleanUpOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [dir, children] of liveClusters) {
      for (const child of children) child.kill('SIGKILL');
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // A daemon still dying may be writing into it; the dir is only litter in tmpdir.
      }
    }
  });
}

function findBinaries(): Record<Binary, string> {
  const found: Partial<Record<Binary, string>> = {};
  const missing: string[] = [];
  for (const name of BINARIES) {
    const path = findExecutable(name, ['/usr/bin', '/usr/sbin']);
    if (path === undefined) missing.push(name);
    else found[name] = path;
  }
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not found on PATH; run scripts/install-system-deps.sh (radosgw, ceph-mon, ceph-osd)`);
  }
  return found as Record<Binary, string>;
}

/**
 * Prefixes argv with `setpriv --pdeathsig KILL` when setpriv exists: the kernel then kills the
 * daemon if this process dies without running its 'exit' hook (SIGKILL, OOM).
 */
function orphanProof(argv: readonly string[]): [string, string[]] {
  const setpriv = findExecutable('setpriv', ['/usr/bin']);
  if (setpriv === undefined) return [argv[0]!, argv.slice(1)];
  return [setpriv, ['--pdeathsig', 'KILL', '--', ...argv]];
}

interface CephLayout {
  dir: string;
  conf: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
}

function cephConfig(layout: CephLayout): string {
  const { dir, fsid, monPort, rgwPort } = layout;
  return [
    '[global]',
    `fsid = ${fsid}`,
    // msgr v2 only: one port to find, and nothing here speaks v1.
    `mon_host = v2:127.0.0.1:${monPort}`,
    'public_addr = 127.0.0.1',
    'ms_bind_ipv6 = false',
    'auth_cluster_required = none',
    'auth_service_required = none',
    'auth_client_required = none',
    // radosgw defaults to secure mon connections, which auth "none" cannot offer: it would hunt
    // for a monitor forever, logging "get_initial_auth_request returned -13".
    'ms_mon_client_mode = crc',
    `keyring = ${dir}/keyring`,
    'osd_pool_default_size = 1',
    'osd_pool_default_min_size = 1',
    'mon_allow_pool_size_one = true',
    'mon_warn_on_pool_no_redundancy = false',
    // radosgw creates about eight pools; the default 32 PGs each would pass mon_max_pg_per_osd.
    'osd_pool_default_pg_num = 1',
    'osd_pool_default_pgp_num = 1',
    'osd_pool_default_pg_autoscale_mode = off',
    'rgw_rados_pool_pg_num_min = 1',
    'mon_max_pg_per_osd = 1000',
    'osd_crush_chooseleaf_type = 0',
    // The monitor refuses to run on a nearly full disk; a test cluster holds a few MiB.
    'mon_data_avail_crit = 0',
    'mon_data_avail_warn = 0',
    // Everything a daemon writes stays in the temp dir, so two clusters never share a path.
    `run_dir = ${dir}/run`,
    `admin_socket = ${dir}/run/$name.asok`,
    `pid_file = ${dir}/run/$name.pid`,
    `log_file = ${dir}/log/$name.log`,
    `mon_cluster_log_file = ${dir}/log/cluster.$channel.log`,
    `crash_dir = ${dir}/crash`,
    `mon_data = ${dir}/mon/$id`,
    `osd_data = ${dir}/osd/$id`,
    'osd_objectstore = bluestore',
    `bluestore_block_size = ${OSD_BLOCK_BYTES}`,
    'bluestore_block_create = true',
    'bluestore_fsck_on_mkfs = false',
    // Every pool radosgw creates is a map change; the default 1 s batching window dominates start-up.
    'paxos_propose_interval = 0.05',
    '',
    '[client.rgw]',
    `rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}`,
    `rgw_data = ${dir}/rgw`,
    'rgw_thread_pool_size = 16',
    'rgw_dynamic_resharding = false',
    '',
  ].join('\n');
}

/** The last lines of every daemon log in the dir, for error messages. */
function logTails(dir: string): string {
  const logDir = join(dir, 'log');
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .sort()
    .map((name) => {
      const lines = readFileSync(join(logDir, name), 'utf8').trimEnd().split('\n');
      return `--- ${name} (last ${LOG_TAIL_LINES} lines)\n${lines.slice(-LOG_TAIL_LINES).join('\n')}`;
    })
    .join('\n');
}

export async function startRadosgw(options: StartRadosgwOptions = {}): Promise<S3Server> {
  const binaries = findBinaries();
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binaries, deadline);
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use/i.test(lastError.message) || Date.now() > deadline) throw lastError;
    }
  }
  throw new Error(`radosgw could not bind free ports in ${MAX_START_ATTEMPTS} attempts`, { cause: lastError });
}

async function startOnce(bin: Record<Binary, string>, deadline: number): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-radosgw-'));
  for (const sub of ['mon/a', 'osd/0', 'run', 'log', 'rgw', 'crash']) mkdirSync(join(dir, sub), { recursive: true });
  const monPort = await freePort();
  let rgwPort = await freePort();
  while (rgwPort === monPort) rgwPort = await freePort();
  const layout: CephLayout = { dir, conf: join(dir, 'ceph.conf'), fsid: randomUUID(), monPort, rgwPort };
  writeFileSync(layout.conf, cephConfig(layout));

  let out = '';
  const daemons: { name: string; child: ChildProcess; exited: Promise<void> }[] = [];
  const children: ChildProcess[] = [];
  liveClusters.set(dir, children);
  cleanUpOnExit();
  const remaining = () => Math.max(1, deadline - Date.now());

  const spawnDaemon = (name: string, argv: string[]) => {
    const [file, args] = orphanProof(argv);
    const child = spawn(file, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (out += `[${name}] ${chunk.toString()}`));
    child.stderr?.on('data', (chunk: Buffer) => (out += `[${name}] ${chunk.toString()}`));
    child.once('error', (err) => (out += `[${name}] spawn error: ${err.message}\n`));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    children.push(child);
    daemons.push({ name, child, exited });
  };

  const run = (argv: string[]) =>
    new Promise<string>((resolve, reject) => {
      const [file, args] = orphanProof(argv);
      const timeout = Math.min(COMMAND_TIMEOUT_MS, remaining());
      execFile(file, args, { cwd: dir, timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 ** 2 }, (err, stdout, stderr) => {
        out += `[${argv[0]}] ${stdout}${stderr}`;
        if (err) reject(new Error(`${argv.join(' ')} failed: ${stderr || err.message}`, { cause: err }));
        else resolve(stdout);
      });
    });

  const stop = async () => {
    // SIGKILL, not SIGTERM: the data is thrown away, and a radosgw or OSD whose monitor is gone
    // can take many seconds to give up on a clean shutdown.
    for (const { child } of [...daemons].reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.race([Promise.all(daemons.map((d) => d.exited)), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    rmSync(dir, { recursive: true, force: true });
    liveClusters.delete(dir);
  };

  const output = () => `${out}${existsSync(dir) ? `\n${logTails(dir)}` : ''}`;
  const fail = async (message: string, cause?: unknown): Promise<never> => {
    const details = output();
    await stop();
    throw new Error(`${message}\n${details}`, { cause });
  };

  const c = ['-c', layout.conf];
  const accessKeyId = `RIVULET${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const monmap = join(dir, 'monmap');
  const osdUuid = randomUUID();
  // The OSD's store needs no monitor (--no-mon-config), so it is formatted while the monitor
  // starts and registers the OSD; the first OSD of a fresh cluster always gets id 0.
  const osdMkfs = run([bin['ceph-osd'], ...c, '--no-mon-config', '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
  const osdMkfsSettled = osdMkfs.then(
    () => undefined,
    () => undefined,
  );
  try {
    await run([bin.monmaptool, '--create', '--fsid', layout.fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, monmap]);
    await run([bin['ceph-mon'], ...c, '--mkfs', '-i', 'a', '--monmap', monmap]);
    spawnDaemon('ceph-mon', [bin['ceph-mon'], ...c, '-i', 'a', '-f']);
    const osdId = (await run([bin.ceph, ...c, '--connect-timeout', '30', 'osd', 'new', osdUuid])).trim();
    if (osdId !== '0') throw new Error(`expected the first OSD to get id 0, got ${JSON.stringify(osdId)}`);
    await osdMkfs;
    spawnDaemon('ceph-osd', [bin['ceph-osd'], ...c, '-i', osdId, '-f']);
    // radosgw creates its pools on first start and blocks until the OSD serves them; it opens
    // the HTTP frontend only after that, so an answer on the port means S3 is ready.
    spawnDaemon('radosgw', [bin.radosgw, ...c, '-n', 'client.rgw', '-f']);
  } catch (err) {
    // Let a still-running mkfs finish before its dir goes away.
    await osdMkfsSettled;
    return fail(`ceph cluster setup failed in ${dir}`, err);
  }

  const endpoint = `http://127.0.0.1:${rgwPort}`;
  for (;;) {
    const dead = daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
    if (dead !== undefined) {
      await dead.exited;
      return fail(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) before radosgw was ready`);
    }
    if (await answersHttp(endpoint)) break;
    if (Date.now() > deadline) return fail(`radosgw did not answer on ${endpoint} in time`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  try {
    await run([bin['radosgw-admin'], ...c, 'user', 'create', '--uid=rivulet-test', '--display-name=Rivulet tests', `--access-key=${accessKeyId}`, `--secret=${secretAccessKey}`]);
  } catch (err) {
    return fail('radosgw-admin could not create the S3 user', err);
  }

  return { endpoint, region: REGION, accessKeyId, secretAccessKey, output, stop };
}

async function answersHttp(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
