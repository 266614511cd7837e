import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { CredentialsFileError, CredentialsStore, defaultCredentialsPath } from './credentials.js';

const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
let dir: string;
let path: string;
let clock: ManualClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rivulet-credentials-'));
  path = defaultCredentialsPath(join(dir, 'data'));
  clock = new ManualClock(START_MS);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(): Promise<CredentialsFileError> {
  const e: unknown = await CredentialsStore.open(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof CredentialsFileError)) throw new Error(`expected CredentialsFileError, got ${String(e)}`);
  return e;
}

describe('CredentialsStore', () => {
  it('places the file at <dataDir>/credentials.json', () => {
    expect(defaultCredentialsPath('/var/lib/rivulet')).toBe('/var/lib/rivulet/credentials.json');
  });

  it('treats a missing file as an empty store', async () => {
    const store = await CredentialsStore.open(path);
    expect(store.listKeys()).toEqual([]);
    expect(store.secretFor('RIVANYTHING000000000')).toBeNull();
  });

  it('creates an AWS-shaped key, writes it with mode 0600 and serves its secret', async () => {
    const store = await CredentialsStore.open(path, { clock });
    const key = await store.createKey('camera-12');
    expect(key.accessKeyId).toMatch(/^RIV[A-Z2-7]{17}$/);
    expect(key.secretAccessKey).toHaveLength(40);
    expect(key).toMatchObject({ name: 'camera-12', createdAt: '2026-01-15T12:00:00.000Z', revoked: false });
    expect(store.secretFor(key.accessKeyId)).toBe(key.secretAccessKey);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const reopened = await CredentialsStore.open(path);
    expect(reopened.secretFor(key.accessKeyId)).toBe(key.secretAccessKey);
  });

  it('draws the id and the secret from the injected random source', async () => {
    const sequence = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i));
    const key = await (await CredentialsStore.open(path, { clock, randomBytes: sequence })).createKey('fixed');
    expect(key.accessKeyId).toBe('RIVABCDEFGHIJKLMNOPQ');
    expect(key.secretAccessKey).toBe(sequence(30).toString('base64'));
  });

  it('draws a new id when the generated one is already taken', async () => {
    const ids = [Buffer.alloc(17, 0), Buffer.alloc(17, 0), Buffer.alloc(17, 1)];
    const source = (n: number) => (n === 17 ? ids.shift() ?? randomBytes(n) : randomBytes(n));
    const store = await CredentialsStore.open(path, { clock, randomBytes: source });
    const first = await store.createKey('a');
    const second = await store.createKey('b');
    expect([first.accessKeyId, second.accessKeyId]).toEqual(['RIVAAAAAAAAAAAAAAAAA', 'RIVBBBBBBBBBBBBBBBBB']);
  });

  it('lists keys oldest first and never includes secrets', async () => {
    const store = await CredentialsStore.open(path, { clock });
    await store.createKey('first');
    clock.advance(1000);
    await store.createKey('second');
    const listed = store.listKeys();
    expect(listed.map((k) => k.name)).toEqual(['first', 'second']);
    for (const k of listed) expect(k).not.toHaveProperty('secretAccessKey');
  });

  it('revokes a key so secretFor returns null, and keeps it in the file', async () => {
    const store = await CredentialsStore.open(path, { clock });
    const key = await store.createKey('gone');
    expect(await store.revokeKey(key.accessKeyId)).toBe('revoked');
    expect(store.secretFor(key.accessKeyId)).toBeNull();
    expect(await store.revokeKey(key.accessKeyId)).toBe('already-revoked');
    expect(await store.revokeKey('RIVNOSUCHKEY00000000')).toBe('not-found');
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { keys: Array<{ revoked: boolean }> };
    expect(onDisk.keys).toHaveLength(1);
    expect(onDisk.keys[0]?.revoked).toBe(true);
  });

  it('leaves no temp files behind after writing', async () => {
    const store = await CredentialsStore.open(path, { clock });
    await store.createKey('a');
    await store.createKey('b');
    expect(await readdir(join(dir, 'data'))).toEqual(['credentials.json']);
  });

  it('keeps changes another process made: a mutation re-reads the file first', async () => {
    const server = await CredentialsStore.open(path, { clock });
    const cli = await CredentialsStore.open(path, { clock });
    const fromCli = await cli.createKey('from-cli');
    const fromServer = await server.createKey('from-server');
    const reread = await CredentialsStore.open(path);
    expect(reread.listKeys().map((k) => k.accessKeyId)).toEqual([fromCli.accessKeyId, fromServer.accessKeyId]);
  });

  it('picks up a revocation made by another process on reloadIfChanged', async () => {
    const server = await CredentialsStore.open(path, { clock });
    const key = await server.createKey('cam');
    expect(await server.reloadIfChanged()).toBe(false);
    await (await CredentialsStore.open(path)).revokeKey(key.accessKeyId);
    expect(server.secretFor(key.accessKeyId)).not.toBeNull();
    expect(await server.reloadIfChanged()).toBe(true);
    expect(server.secretFor(key.accessKeyId)).toBeNull();
  });

  it('fails to load a file that is not JSON, naming the path', async () => {
    await (await CredentialsStore.open(path, { clock })).createKey('x');
    await writeFile(path, '{ "keys": [');
    const e = await loadError();
    expect(e.message).toContain(path);
    expect(e.message).toContain('not valid JSON');
  });

  it('fails to load a file that breaks the schema, naming the path and the bad field', async () => {
    await (await CredentialsStore.open(path, { clock })).createKey('x');
    const file = JSON.parse(await readFile(path, 'utf8')) as { keys: Array<Record<string, unknown>> };
    file.keys[0]!.revoked = 'no';
    await writeFile(path, JSON.stringify(file));
    const e = await loadError();
    expect(e.message).toContain(path);
    expect(e.message).toContain('/keys/0/revoked');
  });

  it('fails to load a file that lists one access key id twice', async () => {
    const key = { accessKeyId: 'RIVAAAAAAAAAAAAAAAAA', secretAccessKey: 's', name: 'n', createdAt: '2026-01-01T00:00:00.000Z', revoked: false };
    await mkdir(join(dir, 'data'));
    await writeFile(path, JSON.stringify({ keys: [key, key] }));
    expect((await loadError()).message).toContain('appears twice');
  });
});
