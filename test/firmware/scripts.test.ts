/**
 * firmware-scripts, run for real: shellcheck on every script, `systemd-analyze verify` on the
 * unit, and install.sh / update.sh / uninstall.sh against a temporary root (--root) holding a real
 * x64 bundle from build-bundle.sh. The agent runs inside that root (chroot, as the rivulet user,
 * RIVULET_SERVICE=direct) against a rivulet-ingest on loopback. Needs root, shellcheck and
 * systemd (for systemd-analyze); does not need systemd to be running.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1Kinesis } from '../harness/clients.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const SCRIPTS = join(REPO_ROOT, 'firmware-scripts');
const BUILD_TIMEOUT_MS = 600_000;
/** Each step runs the scripts for real (tar, cp, node in a chroot): seconds, not milliseconds. */
const STEP_TIMEOUT_MS = 180_000;

function sh(cmd: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string } = {}): SpawnSyncReturns<string> & { out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  return Object.assign(r, { out: `${r.stdout}${r.stderr}` });
}

function ok(cmd: string, args: readonly string[], opts?: { env?: Record<string, string>; cwd?: string }): string {
  const r = sh(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.out}`);
  return r.out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Every path under dir with its type, mode, owner, mtime and content hash (or link target). */
function snapshot(dir: string, skip: readonly string[] = ['proc', 'run']): string[] {
  const lines: string[] = [];
  const walk = (rel: string) => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    const head = `${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs}`;
    if (st.isSymbolicLink()) lines.push(`${head} -> ${readlinkSync(path)}`);
    else if (st.isFile()) lines.push(`${head} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    else {
      lines.push(head);
      for (const name of readdirSync(path).sort()) if (!(rel === '' && skip.includes(name))) walk(join(rel, name));
    }
  };
  walk('');
  return lines;
}

/** The real x64 bundle, built once per agent/shared source state, with this tree's scripts put in. */
function buildBundle(work: string): string {
  const head = sh('git', ['rev-parse', 'HEAD']).stdout.trim();
  const dirty = sh('git', ['diff', 'HEAD', '--', 'agent/src', 'agent/package.json', 'shared/src', 'shared/package.json', 'package-lock.json', 'firmware-scripts/build-bundle.sh']).stdout;
  const untracked = sh('git', ['ls-files', '--others', '--exclude-standard', '--', 'agent/src', 'shared/src']).stdout;
  const extra = untracked.split('\n').filter(Boolean).map((f) => f + readFileSync(join(REPO_ROOT, f), 'utf8')).join('');
  const key = createHash('sha256').update(head + dirty + extra).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), 'rivulet-bundle-cache', `x64-${key}`);
  let tgz = existsSync(cache) ? readdirSync(cache).find((f) => f.endsWith('.tgz')) : undefined;
  if (!tgz) {
    mkdirSync(cache, { recursive: true });
    ok('bash', [join(SCRIPTS, 'build-bundle.sh'), '--arch', 'x64', '--out', cache]);
    tgz = readdirSync(cache).find((f) => f.endsWith('.tgz'));
  }
  const dir = join(work, 'bundle');
  mkdirSync(dir);
  ok('tar', ['-xzf', join(cache, tgz!), '-C', dir]);
  return join(dir, readdirSync(dir)[0]!);
}

/** Packs an extracted bundle directory as version `version`, with `edit` applied to a copy. */
function pack(src: string, out: string, version: string, edit: (dir: string) => void = () => {}): string {
  const stage = tempDir('rivulet-pack-');
  const dir = join(stage, `rivulet-agent-${version}`);
  cpSync(src, dir, { recursive: true, verbatimSymlinks: true });
  rmSync(join(dir, 'firmware-scripts'), { recursive: true });
  cpSync(SCRIPTS, join(dir, 'firmware-scripts'), { recursive: true });
  writeFileSync(join(dir, 'VERSION'), `${version}\n`);
  edit(dir);
  const file = join(out, `rivulet-agent-${version}-linux-x64.tgz`);
  // gzip -1: these bundles live for one test run.
  ok('tar', ['-I', 'gzip -1', '-cf', file, '-C', stage, `rivulet-agent-${version}`]);
  rmSync(stage, { recursive: true, force: true });
  return file;
}

/** A bare root: account files for useradd --root, the libraries node needs, and /proc. */
function makeRoot(root: string, node: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  for (const lib of ok('ldd', [node]).match(/\/\S+/g) ?? []) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  mkdirSync(join(root, 'proc'));
  ok('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
}

describe('firmware-scripts', () => {
  it('every script is clean under shellcheck', () => {
    const scripts = readdirSync(SCRIPTS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sh'));
    expect(scripts).toEqual(expect.arrayContaining(['install.sh', 'update.sh', 'uninstall.sh', 'lib.sh']));
    const r = sh('shellcheck', ['-x', ...scripts], { cwd: SCRIPTS });
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('the unit files pass systemd-analyze verify (and a broken one does not)', () => {
    const root = tempDir('rivulet-unit-');
    try {
      for (const dir of ['/usr/lib/systemd/system', '/lib/systemd/system']) {
        if (existsSync(dir)) {
          cpSync(dir, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
          break;
        }
      }
      // ExecStart= must name executables that exist in the root being verified.
      for (const exe of ['opt/rivulet/current/node/bin/node', 'bin/sh']) {
        mkdirSync(join(root, dirname(exe)), { recursive: true });
        writeFileSync(join(root, exe), '#!/bin/sh\n');
        chmodSync(join(root, exe), 0o755);
      }
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      const unit = readFileSync(join(SCRIPTS, 'rivulet-agent.service'), 'utf8');
      writeFileSync(join(root, 'etc/systemd/system/rivulet-agent.service'), unit);
      copyFileSync(join(SCRIPTS, 'firstboot/rivulet-firstboot.service'), join(root, 'etc/systemd/system/rivulet-firstboot.service'));
      const verify = () => sh('systemd-analyze', ['verify', `--root=${root}`, '/etc/systemd/system/rivulet-agent.service', '/etc/systemd/system/rivulet-firstboot.service']);
      const good = verify();
      expect(good.out).toBe('');
      expect(good.status).toBe(0);
      writeFileSync(join(root, 'etc/systemd/system/rivulet-agent.service'), unit.replace('WatchdogSec=60s', 'WatchdogSec=soon'));
      expect(verify().out).toMatch(/WatchdogSec|parse/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// Root is required (useradd --root, chown, mount -t proc), as in CI: without it these fail, never skip.
describe('firmware-scripts on a root (install, update, uninstall)', { timeout: STEP_TIMEOUT_MS }, () => {
  let work: string;
  let root: string;
  let bundleDir: string;
  let bundle: string;
  let version: string;
  let ingest: IngestProcess;
  let statusPort: number;
  /** Runs a script on the root; RIVULET_FW_DEBUG=1 prints each run's output and duration. */
  const run = (script: string, args: readonly string[], env: Record<string, string> = {}) => {
    const started = Date.now();
    const r = sh('sh', [join(SCRIPTS, script), '--root', root, ...args], { env: { RIVULET_LOG_LEVEL: 'warn', ...env } });
    if (process.env.RIVULET_FW_DEBUG) process.stderr.write(`--- ${script} ${args.join(' ')} (${Date.now() - started} ms)\n${r.out}`);
    return r;
  };

  beforeAll(async () => {
    expect(process.getuid?.(), 'the install/update/uninstall tests need root (useradd --root, chown, mount)').toBe(0);
    work = tempDir('rivulet-fw-');
    root = join(work, 'root');
    bundleDir = buildBundle(work);
    version = readFileSync(join(bundleDir, 'VERSION'), 'utf8').trim();
    bundle = pack(bundleDir, work, version);
    makeRoot(root, join(bundleDir, 'node/bin/node'));
    writeFileSync(join(work, 'secret'), 'fw-test-secret\n');
    statusPort = await freePort();
    ingest = await startIngest({ args: ['--auth', 'none'] });
    await http1Kinesis(ingest.endpoint).send(new CreateStreamCommand({ StreamName: 'device-health', ShardCount: 1 }));
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (root) sh('sh', [join(SCRIPTS, 'uninstall.sh'), '--root', root, '--purge', '--yes']);
    if (root && existsSync(join(root, 'proc/self'))) sh('umount', [join(root, 'proc')]);
    await ingest?.stop();
    ingest?.cleanup();
    if (work && !existsSync(join(root, 'proc/self'))) rmSync(work, { recursive: true, force: true });
  });

  const provision = () => ['--bundle', bundle, '--server', ingest.endpoint, '--device-id', 'fw-test-1', '--access-key', 'AKIDFW', '--secret-file', join(work, 'secret'), '--status-port', String(statusPort), '--skip-ffmpeg'];

  it('--dry-run on an empty root says what it would do and changes nothing', () => {
    const before = snapshot(root);
    const r = run('install.sh', [...provision(), '--dry-run']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/would create system user rivulet/);
    expect(r.out).toMatch(/would install \/opt\/rivulet\//);
    expect(snapshot(root)).toEqual(before);
  });

  it('installs, provisions and checks the connection; a second run reports no changes and changes no file', () => {
    const first = run('install.sh', provision());
    expect(first.status, first.out).toBe(0);
    expect(first.out).toMatch(/ok {3}server reachable/);
    expect(first.out).toMatch(/ok {3}stream device-health exists/);
    expect(first.out).toMatch(/starts when the device boots/);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    const [, , uid, gid, , home, shell] = /^rivulet:.*$/m.exec(passwd)![0].split(':');
    expect([home, shell]).toEqual(['/var/lib/rivulet', '/usr/sbin/nologin']);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^video:x:\d+:rivulet$/m);
    const mode = (p: string) => `${(statSync(join(root, p)).mode & 0o7777).toString(8)} ${statSync(join(root, p)).uid}:${statSync(join(root, p)).gid}`;
    expect(mode('etc/rivulet/agent.yaml')).toBe(`640 0:${gid}`);
    expect(mode('etc/rivulet/secret-access-key')).toBe(`600 ${uid}:${gid}`);
    expect(mode('var/lib/rivulet')).toBe(`750 ${uid}:${gid}`);
    expect(readlinkSync(join(root, 'opt/rivulet/current'))).toBe(version);
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/rivulet-agent.service'))).toBe('/etc/systemd/system/rivulet-agent.service');
    expect(existsSync(join(root, 'etc/systemd/journald.conf.d/rivulet.conf'))).toBe(true);
    expect(readFileSync(join(root, 'etc/rivulet/agent.yaml'), 'utf8')).toMatch(/id: "fw-test-1"[\s\S]*secretFile: \/etc\/rivulet\/secret-access-key[\s\S]*type: system/);

    const before = snapshot(root);
    const second = run('install.sh', provision());
    expect(second.status, second.out).toBe(0);
    expect(second.out).toMatch(/no changes/);
    expect(snapshot(root)).toEqual(before);
    const dry = run('install.sh', [...provision(), '--dry-run']);
    expect(dry.out).toMatch(/no changes/);
    expect(snapshot(root)).toEqual(before);
  });

  it('keeps an edited agent.yaml, changing only the provisioning field it is given', () => {
    const config = join(root, 'etc/rivulet/agent.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}# edited by hand\n`);
    const kept = run('install.sh', ['--bundle', bundle, '--skip-ffmpeg', '--no-check']);
    expect(kept.out).toMatch(/no changes/);
    const changed = run('install.sh', ['--bundle', bundle, '--skip-ffmpeg', '--no-check', '--device-id', 'fw-test-2']);
    expect(changed.out).toMatch(/update \/etc\/rivulet\/agent.yaml/);
    const text = readFileSync(config, 'utf8');
    expect(text).toMatch(/id: "fw-test-2"/);
    expect(text).toMatch(/# edited by hand/);
    expect((statSync(config).mode & 0o777).toString(8)).toBe('640');
  });

  it('updates to a healthy version, and rolls a broken one back with the buffer untouched', async () => {
    const env = { RIVULET_SERVICE: 'direct' };
    const started = run('install.sh', ['--bundle', bundle, '--skip-ffmpeg', '--no-check'], env);
    expect(started.out).toMatch(/started the agent directly/);
    const planted = join(root, 'var/lib/rivulet/planted');
    writeFileSync(planted, 'must survive updates\n');
    const plantedStat = statSync(planted).mtimeMs;

    const good = run('update.sh', ['--bundle', pack(bundleDir, work, '9.9.1'), '--health-timeout', '60'], env);
    expect(good.status, good.out).toBe(0);
    expect(readlinkSync(join(root, 'opt/rivulet/current'))).toBe('9.9.1');
    expect(existsSync(join(root, 'opt/rivulet', version))).toBe(true);

    const broken = pack(bundleDir, work, '0.0.2', (dir) => writeFileSync(join(dir, 'app/bin/rivulet-agent.js'), '#!/usr/bin/env node\nconsole.error("broken on purpose");\nprocess.exit(1);\n'));
    const r = run('update.sh', ['--bundle', broken, '--health-timeout', '20'], env);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(/broken on purpose/);
    expect(r.out).toMatch(/rolled back: 9\.9\.1 is current again and healthy/);
    expect(readlinkSync(join(root, 'opt/rivulet/current'))).toBe('9.9.1');
    expect(existsSync(join(root, 'opt/rivulet/0.0.2'))).toBe(false);
    const pid = Number(readFileSync(join(root, 'run/rivulet/agent.pid'), 'utf8'));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('/opt/rivulet/current/app/bin/rivulet-agent.js');
    expect((await fetch(`http://127.0.0.1:${statusPort}/healthz`)).status).toBe(200);
    expect(readFileSync(planted, 'utf8')).toBe('must survive updates\n');
    expect(statSync(planted).mtimeMs).toBe(plantedStat);
  });

  it('uninstalls without --purge keeping config and data; --purge needs --yes, then removes them', () => {
    const pid = Number(readFileSync(join(root, 'run/rivulet/agent.pid'), 'utf8'));
    const refused = run('uninstall.sh', ['--purge']);
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/not uploaded yet|cannot be told exactly|no unsent records/);
    expect(refused.out).toMatch(/add --yes/);
    expect(existsSync(join(root, 'opt/rivulet/current'))).toBe(true);

    const r = run('uninstall.sh', []);
    expect(r.status, r.out).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(join(root, 'opt/rivulet'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/rivulet-agent.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/multi-user.target.wants/rivulet-agent.service'))).toBe(false);
    expect(readFileSync(join(root, 'var/lib/rivulet/planted'), 'utf8')).toBe('must survive updates\n');
    expect(existsSync(join(root, 'etc/rivulet/agent.yaml'))).toBe(true);

    const purged = run('uninstall.sh', ['--purge', '--yes']);
    expect(purged.status, purged.out).toBe(0);
    expect(purged.out).toMatch(/cannot be told exactly/);
    expect(existsSync(join(root, 'var/lib/rivulet'))).toBe(false);
    expect(existsSync(join(root, 'etc/rivulet'))).toBe(false);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).not.toMatch(/^rivulet:/m);
  });
});
