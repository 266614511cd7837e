import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { CredentialsStore } from './credentials.js';
import { EXIT, runKeysCommand } from './keys-command.js';

let dir: string;
let credentialsFile: string;
const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rivulet-keys-'));
  credentialsFile = join(dir, 'credentials.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command and returns its exit code and every line it printed (errors included). */
async function run(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runKeysCommand(argv, { credentialsFile, out: (line) => lines.push(line), deps: { clock } });
  return { code, lines };
}

async function createdKey(name = 'cam-1'): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const { lines } = await run('create', '--name', name, '--json');
  return JSON.parse(lines[0]!) as { accessKeyId: string; secretAccessKey: string };
}

describe('keys command', () => {
  it('creates a key and prints its id and secret once', async () => {
    const { code, lines } = await run('keys', 'create', '--name', 'gateway-7');
    expect(code).toBe(EXIT.ok);
    const store = await CredentialsStore.open(credentialsFile);
    const [key] = store.listKeys();
    expect(key?.name).toBe('gateway-7');
    const secret = store.secretFor(key!.accessKeyId)!;
    expect(lines.join('\n')).toContain(`AccessKeyId:     ${key!.accessKeyId}`);
    expect(lines.filter((l) => l.includes(secret))).toHaveLength(1);
  });

  it('prints the new key as one JSON line with --json, accepting --name=NAME', async () => {
    const { code, lines } = await run('create', '--json', '--name=cam 2');
    expect(code).toBe(EXIT.ok);
    expect(lines).toHaveLength(1);
    const key = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(key).toMatchObject({ name: 'cam 2', createdAt: '2026-01-15T12:00:00.000Z' });
    expect(key.accessKeyId).toMatch(/^RIV[A-Z2-7]{17}$/);
    expect(key.secretAccessKey).toHaveLength(40);
  });

  it('lists keys without ever printing a secret, as a table or as JSON', async () => {
    const a = await createdKey('cam-1');
    const b = await createdKey('cam-2');
    await run('revoke', b.accessKeyId);
    const table = await run('list');
    expect(table.code).toBe(EXIT.ok);
    expect(table.lines[0]).toMatch(/^ACCESS KEY ID\s+STATUS\s+CREATED\s+NAME$/);
    expect(table.lines.find((l) => l.startsWith(a.accessKeyId))).toMatch(/active .*cam-1$/);
    expect(table.lines.find((l) => l.startsWith(b.accessKeyId))).toMatch(/revoked .*cam-2$/);
    const json = await run('list', '--json');
    const listed = JSON.parse(json.lines[0]!) as { keys: Array<{ accessKeyId: string; revoked: boolean }> };
    expect(listed.keys.map((k) => [k.accessKeyId, k.revoked])).toEqual([[a.accessKeyId, false], [b.accessKeyId, true]]);
    for (const out of [...table.lines, ...json.lines]) {
      expect(out).not.toContain(a.secretAccessKey);
      expect(out).not.toContain(b.secretAccessKey);
      expect(out).not.toContain('secretAccessKey');
    }
  });

  it('says so when there are no keys', async () => {
    expect((await run('list')).lines).toEqual([`No access keys in ${credentialsFile}.`]);
  });

  it('revokes a key so it no longer verifies, and accepts revoking it again', async () => {
    const key = await createdKey();
    expect(await run('revoke', key.accessKeyId)).toEqual({ code: EXIT.ok, lines: [`Revoked ${key.accessKeyId}.`] });
    expect((await CredentialsStore.open(credentialsFile)).secretFor(key.accessKeyId)).toBeNull();
    expect(await run('revoke', key.accessKeyId)).toEqual({ code: EXIT.ok, lines: [`${key.accessKeyId} was already revoked.`] });
  });

  it('fails with one line when revoking an unknown key', async () => {
    const { code, lines } = await run('revoke', 'RIVNOSUCHKEY00000000');
    expect(code).toBe(EXIT.failed);
    expect(lines).toEqual([`keys: no access key RIVNOSUCHKEY00000000 in ${credentialsFile}`]);
  });

  it('answers a wrong command line with one usage line and exit code 2', async () => {
    for (const argv of [[], ['rotate'], ['create', '--bogus'], ['create', '--name'], ['create', '--name', ''], ['list', 'extra'], ['revoke'], ['revoke', '--json', 'X']]) {
      const { code, lines } = await run(...argv);
      expect(code, argv.join(' ')).toBe(EXIT.usage);
      expect(lines, argv.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(/^keys: .*; usage: keys create/);
    }
  });

  it('fails with one line naming the file when the credentials file is corrupt', async () => {
    await writeFile(credentialsFile, 'not json');
    const { code, lines } = await run('list');
    expect(code).toBe(EXIT.failed);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(credentialsFile);
  });

  it('sends error lines to err when one is given', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCommand(['revoke', 'RIVNOSUCHKEY00000000'], { credentialsFile, out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(EXIT.failed);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
  });
});
