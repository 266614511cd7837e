import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, RivuletError } from '@rivulet/shared';
import { LocalKeyStore } from './key-store.js';

let root: string;
let dir: string;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rivulet-keystore-'));
  dir = join(root, 'keystore');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function thrown(fn: () => unknown): RivuletError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RivuletError);
    return e as RivuletError;
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<RivuletError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RivuletError);
    return e as RivuletError;
  }
  throw new Error('expected a rejection');
}

const keysFile = () => join(dir, 'keys.json');

describe('LocalKeyStore', () => {
  it('round-trips a chunk, with a fresh IV each time', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    const { keyId } = store.createKey({ description: 'orders' });
    const chunk = randomBytes(100_000);
    const a = store.encrypt(keyId, chunk);
    const b = store.encrypt(keyId, chunk);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(chunk.subarray(0, 32))).toBe(false);
    expect(store.decrypt(a).equals(chunk)).toBe(true);
    expect(store.decrypt(b).equals(chunk)).toBe(true);
  });

  it('keeps old ciphertexts readable after rotation and encrypts new ones with the new version', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    const { keyId } = store.createKey();
    const before = store.encrypt(keyId, Buffer.from('v1 data'));
    clock.advance(1000);
    const rotated = store.rotateKey(keyId);
    expect(rotated.currentVersion).toBe(2);
    expect(rotated.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(rotated.versions[1]!.createdAtMs).toBe(clock.now());
    const after = store.encrypt(keyId, Buffer.from('v2 data'));
    expect(before.readUInt32BE(17)).toBe(1);
    expect(after.readUInt32BE(17)).toBe(2);
    expect(store.decrypt(before).toString()).toBe('v1 data');
    expect(store.decrypt(after).toString()).toBe('v2 data');
  });

  it('rejects tampered or truncated envelopes with STREAMS_STORAGE', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    const { keyId } = store.createKey();
    const envelope = store.encrypt(keyId, randomBytes(1000));
    for (const at of [5, 18, 25, 40, 60, envelope.byteLength - 1]) {
      const bad = Buffer.from(envelope);
      bad[at]! ^= 0x80;
      expect(thrown(() => store.decrypt(bad)).code).toBe('STREAMS_STORAGE');
    }
    expect(thrown(() => store.decrypt(envelope.subarray(0, 30))).code).toBe('STREAMS_STORAGE');
  });

  it('refuses to decrypt with a key or version it does not hold', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    const other = await LocalKeyStore.open({ dir: join(root, 'other'), clock });
    const foreign = other.encrypt(other.createKey().keyId, Buffer.from('x'));
    expect(thrown(() => store.decrypt(foreign)).message).toMatch(/not in the key store/);
    const { keyId } = store.createKey();
    const future = store.encrypt(keyId, Buffer.from('x'));
    future.writeUInt32BE(9, 17);
    expect(thrown(() => store.decrypt(future)).message).toMatch(/version 9, which is not in the key store/);
  });

  it('resolves key ids, key ARNs, alias names and alias ARNs to the key id', async () => {
    const store = await LocalKeyStore.open({ dir, clock, region: 'eu-west-1', accountId: '123456789012' });
    const key = store.createKey({ alias: 'alias/orders' });
    expect(key.arn).toBe(`arn:aws:kms:eu-west-1:123456789012:key/${key.keyId}`);
    for (const ref of [key.keyId, key.keyId.toUpperCase(), key.arn, 'alias/orders', 'arn:aws:kms:eu-west-1:123456789012:alias/orders']) {
      expect(store.resolveKey(ref)).toBe(key.keyId);
    }
    expect(store.decrypt(store.encrypt('alias/orders', Buffer.from('by alias'))).toString()).toBe('by alias');
    for (const ref of [`arn:aws:kms:us-east-1:123456789012:key/${key.keyId}`, 'arn:aws:kms:eu-west-1:999999999999:alias/orders']) {
      expect(thrown(() => store.resolveKey(ref)).code).toBe('STREAMS_KMS_NOT_FOUND');
    }
  });

  it('creates alias/aws/kinesis durably on first use, and only then', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    await expect(stat(keysFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const keyId = store.resolveKey('alias/aws/kinesis');
    expect(store.resolveKey('arn:aws:kms:us-east-1:000000000000:alias/aws/kinesis')).toBe(keyId);
    expect(store.listKeys()).toHaveLength(1);
    const reopened = await LocalKeyStore.open({ dir, clock });
    expect(reopened.resolveKey('alias/aws/kinesis')).toBe(keyId);
    expect(reopened.listKeys()[0]!.aliases).toEqual(['alias/aws/kinesis']);
  });

  it('reports unknown keys as STREAMS_KMS_NOT_FOUND (KMSNotFoundException)', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    for (const ref of ['11111111-2222-4333-8444-555555555555', 'alias/missing', 'alias/aws/s3', 'garbage', '']) {
      const err = thrown(() => store.resolveKey(ref));
      expect(err.code).toBe('STREAMS_KMS_NOT_FOUND');
      expect(err.awsType).toBe('KMSNotFoundException');
      expect(err.params).toEqual({ keyId: ref });
    }
    expect(thrown(() => store.encrypt('alias/missing', Buffer.from('x'))).code).toBe('STREAMS_KMS_NOT_FOUND');
    expect(thrown(() => store.rotateKey('alias/missing')).code).toBe('STREAMS_KMS_NOT_FOUND');
  });

  it('refuses new encryptions under a disabled key but still decrypts what it wrote', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    const { keyId } = store.createKey({ alias: 'alias/cold' });
    const old = store.encrypt(keyId, Buffer.from('still readable'));
    expect(store.disableKey('alias/cold').enabled).toBe(false);
    expect(thrown(() => store.resolveKey(keyId)).code).toBe('STREAMS_KMS_DISABLED');
    expect(thrown(() => store.encrypt(keyId, Buffer.from('x'))).awsType).toBe('KMSDisabledException');
    expect(thrown(() => store.rotateKey(keyId)).code).toBe('STREAMS_KMS_DISABLED');
    expect(store.decrypt(old).toString()).toBe('still readable');
    store.enableKey(keyId);
    expect(store.resolveKey('alias/cold')).toBe(keyId);
  });

  it('rejects malformed, reserved and duplicate aliases', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    store.createKey({ alias: 'alias/taken' });
    for (const alias of ['orders', 'alias/has space', 'alias/aws/kinesis', 'alias/taken']) {
      expect(thrown(() => store.createKey({ alias })).code).toBe('STREAMS_INVALID_ARGUMENT');
    }
    expect(store.listKeys()).toHaveLength(1);
  });

  it('keeps keys, versions, aliases and state across reopen', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    const a = store.createKey({ description: 'a', alias: 'alias/a' });
    const b = store.createKey({ description: 'b' });
    const v1 = store.encrypt(a.keyId, Buffer.from('a1'));
    store.rotateKey(a.keyId);
    const v2 = store.encrypt(a.keyId, Buffer.from('a2'));
    const fromB = store.encrypt(b.keyId, Buffer.from('b1'));
    store.disableKey(b.keyId);

    const reopened = await LocalKeyStore.open({ dir, clock });
    expect(reopened.listKeys()).toEqual(store.listKeys());
    expect(reopened.decrypt(v1).toString()).toBe('a1');
    expect(reopened.decrypt(v2).toString()).toBe('a2');
    expect(reopened.decrypt(fromB).toString()).toBe('b1');
    expect(reopened.encrypt('alias/a', Buffer.from('x')).readUInt32BE(17)).toBe(2);
    expect(thrown(() => reopened.resolveKey(b.keyId)).code).toBe('STREAMS_KMS_DISABLED');
  });

  it('writes keys.json with mode 0600 in a 0700 directory, leaving no temp file', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    store.createKey();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(keysFile())).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it('refuses a damaged keys.json with STREAMS_STORAGE', async () => {
    const store = await LocalKeyStore.open({ dir, clock });
    store.createKey();
    await writeFile(keysFile(), '{"format":1,"wrapping":"none","keys":[{"keyId":"nope"}]}');
    expect((await rejected(LocalKeyStore.open({ dir, clock }))).message).toMatch(/does not match its schema/);
    await writeFile(keysFile(), '{');
    expect((await rejected(LocalKeyStore.open({ dir, clock }))).message).toMatch(/not valid JSON/);
  });
});

describe('LocalKeyStore with a master key', () => {
  const masterKey = randomBytes(32);
  const issued: Buffer[] = [];
  // Records every 32-byte draw (key material) so the test can look for it in the file.
  const random = (n: number): Buffer => {
    const bytes = randomBytes(n);
    if (n === 32) issued.push(Buffer.from(bytes));
    return bytes;
  };

  it('stores no raw key material in keys.json, and reopens with the same master key', async () => {
    const store = await LocalKeyStore.open({ dir, clock, masterKey, random });
    const { keyId } = store.createKey({ alias: 'alias/sealed' });
    store.rotateKey(keyId);
    const envelope = store.encrypt(keyId, Buffer.from('secret'));
    const text = await readFile(keysFile(), 'utf8');
    expect(JSON.parse(text).wrapping).toBe('aes-256-gcm');
    expect(issued.length).toBeGreaterThanOrEqual(2);
    for (const material of issued) {
      expect(text).not.toContain(material.toString('base64'));
      expect(text).not.toContain(material.toString('hex'));
    }
    const reopened = await LocalKeyStore.open({ dir, clock, masterKey });
    expect(reopened.decrypt(envelope).toString()).toBe('secret');
  });

  it('fails to open with the wrong master key, or with none, saying why', async () => {
    const store = await LocalKeyStore.open({ dir, clock, masterKey });
    store.createKey();
    const wrong = await rejected(LocalKeyStore.open({ dir, clock, masterKey: randomBytes(32) }));
    expect(wrong.code).toBe('STREAMS_STORAGE');
    expect(wrong.message).toMatch(/master key is not the one this file was written with/);
    const none = await rejected(LocalKeyStore.open({ dir, clock }));
    expect(none.message).toMatch(/sealed under a master key, but none was given/);
  });

  it('rewraps a plain keys.json as soon as a master key is given', async () => {
    const plain = await LocalKeyStore.open({ dir, clock });
    const { keyId } = plain.createKey();
    const envelope = plain.encrypt(keyId, Buffer.from('migrated'));
    const rawMaterial = JSON.parse(await readFile(keysFile(), 'utf8')).keys[0].versions[0].material as string;

    const wrapped = await LocalKeyStore.open({ dir, clock, masterKey });
    expect(wrapped.decrypt(envelope).toString()).toBe('migrated');
    const text = await readFile(keysFile(), 'utf8');
    expect(JSON.parse(text).wrapping).toBe('aes-256-gcm');
    expect(text).not.toContain(rawMaterial);
    expect((await LocalKeyStore.open({ dir, clock, masterKey })).decrypt(envelope).toString()).toBe('migrated');
  });

  it('rejects a master key that is not 32 bytes', async () => {
    const err = await rejected(LocalKeyStore.open({ dir, clock, masterKey: randomBytes(16) }));
    expect(err.message).toMatch(/must be 32 bytes, got 16/);
  });
});
