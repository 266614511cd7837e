/**
 * LocalKeyStore: a KMS stand-in on local disk, giving Data Streams encryption at rest
 * (AES-256-GCM). Owns keys, their aliases and versions, and <dir>/keys.json; does not own the
 * envelope byte layout (envelope.ts) or where the master key comes from (main.ts).
 *
 * Invariants:
 * - keys.json is the whole truth. Every change writes it first (temp file, fsync, rename, fsync
 *   of the directory; mode 0600 in a 0700 directory) and only then updates memory, so a failed
 *   write leaves the store as it was. Writes are synchronous: they are rare (key admin and the
 *   first use of alias/aws/kinesis) and this keeps them strictly ordered and lets the synchronous
 *   resolveKey() create the AWS-managed key durably. One process owns the directory.
 * - With a master key, each version's material is stored sealed under it (AAD binds it to its
 *   key id and version), so the data directory alone cannot decrypt anything. Without one,
 *   material is stored as plain base64: that protects against someone reading the LevelDB files
 *   alone, not against someone holding the whole data directory. A plain file opened with a
 *   master key is rewrapped at once; a wrapped file opened without one, or with another one,
 *   refuses to open.
 * - Versions only grow. New encryptions use the newest version; every version still decrypts.
 * - A disabled key refuses encrypt() and resolveKey() but still decrypts, so data written under
 *   it stays readable for its retention period; disabling stops new writes, it does not shred.
 * - The hot path (encrypt/decrypt, once per ~100 KB chunk) does map lookups and cipher calls on
 *   cached KeyObjects: no JSON, no file I/O, no key derivation.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { StreamKeys } from '../streams/deps.js';
import { IV_BYTES, bytesToUuid, openBytes, openEnvelope, readEnvelopeHeader, sealBytes, sealEnvelope, uuidToBytes } from './envelope.js';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const UUID_PATTERN = new RegExp(`^${UUID}$`);
// KMS: alias names are "alias/" then letters, digits, "/", "_" and "-", up to 256 characters.
const ALIAS_PATTERN = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const KEY_ARN_PATTERN = new RegExp(`^arn:aws:kms:([a-z0-9-]+):(\\d{12}):key/(${UUID})$`);
const ALIAS_ARN_PATTERN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;
/** Aliases under alias/aws/ belong to AWS-managed keys, made on first use; callers cannot claim them. */
const RESERVED_ALIAS_PREFIX = 'alias/aws/';
const AWS_MANAGED_ALIASES = new Set(['alias/aws/kinesis']);
const MATERIAL_BYTES = 32;
const FILE_NAME = 'keys.json';

export const KeyVersionDoc = Type.Object({
  version: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
  /** base64: 32 raw bytes, or iv | tag | sealed bytes when the file is wrapped. */
  material: Type.String(),
  createdAtMs: Type.Number(),
});
export type KeyVersionDoc = Static<typeof KeyVersionDoc>;

export const KeyDoc = Type.Object({
  keyId: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
  arn: Type.String(),
  description: Type.String(),
  aliases: Type.Array(Type.String({ pattern: ALIAS_PATTERN.source })),
  enabled: Type.Boolean(),
  createdAtMs: Type.Number(),
  versions: Type.Array(KeyVersionDoc, { minItems: 1 }),
});
export type KeyDoc = Static<typeof KeyDoc>;

export const KeyFileDoc = Type.Object({
  format: Type.Literal(1),
  wrapping: Type.Union([Type.Literal('none'), Type.Literal('aes-256-gcm')]),
  keys: Type.Array(KeyDoc),
});
export type KeyFileDoc = Static<typeof KeyFileDoc>;

/** What listKeys() and the admin calls return: the key without its material. */
export const KeyDescription = Type.Composite([
  Type.Omit(KeyDoc, ['versions']),
  Type.Object({
    currentVersion: Type.Integer(),
    versions: Type.Array(Type.Omit(KeyVersionDoc, ['material'])),
  }),
]);
export type KeyDescription = Static<typeof KeyDescription>;

export interface LocalKeyStoreOptions {
  dir: string;
  /** 32 bytes; when given, key material is stored sealed under it. */
  masterKey?: Buffer | undefined;
  clock: Clock;
  /** Source of key material, key ids and IVs; crypto.randomBytes unless a test injects one. */
  random?: (n: number) => Buffer;
  region?: string | undefined;
  accountId?: string | undefined;
}

interface KeyEntry {
  doc: KeyDoc;
  idBytes: Buffer;
  secrets: Map<number, KeyObject>;
  current: { version: number; secret: KeyObject };
}

export class LocalKeyStore implements StreamKeys {
  private readonly byId = new Map<string, KeyEntry>();
  private readonly aliases = new Map<string, string>();
  private readonly path: string;
  private readonly master: KeyObject | null;
  private readonly random: (n: number) => Buffer;
  private readonly clock: Clock;
  private readonly region: string;
  private readonly accountId: string;

  private constructor(opts: LocalKeyStoreOptions) {
    this.path = join(opts.dir, FILE_NAME);
    this.master = opts.masterKey ? createSecretKey(opts.masterKey) : null;
    this.random = opts.random ?? randomBytes;
    this.clock = opts.clock;
    this.region = opts.region ?? 'us-east-1';
    this.accountId = opts.accountId ?? '000000000000';
  }

  /** Loads <dir>/keys.json if present; creates the directory but no key and no file. */
  static async open(opts: LocalKeyStoreOptions): Promise<LocalKeyStore> {
    if (opts.masterKey !== undefined && opts.masterKey.byteLength !== MATERIAL_BYTES) {
      throw new RivuletError('STREAMS_STORAGE', { message: `the key store master key must be ${MATERIAL_BYTES} bytes, got ${opts.masterKey.byteLength}` });
    }
    const store = new LocalKeyStore(opts);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const file = await readKeyFile(store.path);
    if (!file) return store;
    if (file.wrapping === 'aes-256-gcm' && !store.master) {
      throw new RivuletError('STREAMS_STORAGE', { message: `${store.path} holds key material sealed under a master key, but none was given (RIVULET_MASTER_KEY)` });
    }
    const ids = new Set<string>();
    for (const doc of file.keys) {
      if (ids.has(doc.keyId)) throw new RivuletError('STREAMS_STORAGE', { message: `${store.path} lists key ${doc.keyId} twice` });
      ids.add(doc.keyId);
      const secrets = new Map<number, KeyObject>();
      for (const v of doc.versions) secrets.set(v.version, store.unwrap(doc.keyId, v, file.wrapping));
      store.index(doc, secrets);
    }
    if (file.wrapping === 'none' && store.master) {
      // Rewrap at once: leaving plain material beside a configured master key would defeat it.
      const docs = [...store.byId.values()].map(({ doc }) => ({
        ...doc,
        versions: doc.versions.map((v) => ({ ...v, material: store.wrap(doc.keyId, v.version, Buffer.from(v.material, 'base64')) })),
      }));
      store.write(docs);
      for (const doc of docs) store.byId.get(doc.keyId)!.doc = doc;
    }
    return store;
  }

  /**
   * Returns the key id (UUID) for a key id, key ARN, alias name or alias ARN. Creates the
   * AWS-managed alias/aws/kinesis key the first time it is named, as AWS does.
   */
  resolveKey(keyId: string): string {
    const entry = this.find(keyId, true);
    if (!entry.doc.enabled) throw new RivuletError('STREAMS_KMS_DISABLED', { keyId });
    return entry.doc.keyId;
  }

  encrypt(keyId: string, plaintext: Uint8Array): Buffer {
    const entry = this.byId.get(keyId) ?? this.find(keyId, true);
    if (!entry.doc.enabled) throw new RivuletError('STREAMS_KMS_DISABLED', { keyId });
    return sealEnvelope(entry.current.secret, entry.idBytes, entry.current.version, this.random(IV_BYTES), plaintext);
  }

  /** Decrypts with whichever key and version wrote the envelope, enabled or not. */
  decrypt(envelope: Uint8Array): Buffer {
    const header = readEnvelopeHeader(envelope);
    const secret = this.byId.get(header.keyId)?.secrets.get(header.keyVersion);
    if (!secret) {
      throw new RivuletError('STREAMS_STORAGE', { message: `encrypted chunk needs key ${header.keyId} version ${header.keyVersion}, which is not in the key store` });
    }
    return openEnvelope(secret, envelope);
  }

  createKey(opts: { description?: string | undefined; alias?: string | undefined } = {}): KeyDescription {
    if (opts.alias !== undefined) {
      if (!ALIAS_PATTERN.test(opts.alias)) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `alias ${opts.alias} must match ${ALIAS_PATTERN.source}` });
      if (opts.alias.startsWith(RESERVED_ALIAS_PREFIX)) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `aliases under ${RESERVED_ALIAS_PREFIX} are reserved for AWS-managed keys` });
    }
    return toDescription(this.create(opts.description ?? '', opts.alias).doc);
  }

  /** Adds a new version; encryptions from now on use it, and older versions still decrypt. */
  rotateKey(keyId: string): KeyDescription {
    const entry = this.find(keyId, false);
    if (!entry.doc.enabled) throw new RivuletError('STREAMS_KMS_DISABLED', { keyId });
    const material = this.random(MATERIAL_BYTES);
    const version = entry.current.version + 1;
    const doc: KeyDoc = { ...entry.doc, versions: [...entry.doc.versions, this.newVersion(entry.doc.keyId, version, material)] };
    return toDescription(this.save(doc, new Map(entry.secrets).set(version, secretFrom(material))).doc);
  }

  disableKey(keyId: string): KeyDescription {
    return this.setEnabled(keyId, false);
  }

  enableKey(keyId: string): KeyDescription {
    return this.setEnabled(keyId, true);
  }

  /** Every key, oldest first, without material. */
  listKeys(): KeyDescription[] {
    return [...this.byId.values()].map((e) => toDescription(e.doc));
  }

  private setEnabled(keyId: string, enabled: boolean): KeyDescription {
    const entry = this.find(keyId, false);
    if (entry.doc.enabled === enabled) return toDescription(entry.doc);
    return toDescription(this.save({ ...entry.doc, enabled }, entry.secrets).doc);
  }

  /** Looks up any accepted form of key reference; throws STREAMS_KMS_NOT_FOUND naming the input. */
  private find(ref: string, createManaged: boolean): KeyEntry {
    let alias: string | null = null;
    if (UUID_PATTERN.test(ref)) {
      const entry = this.byId.get(ref.toLowerCase());
      if (entry) return entry;
    } else if (ref.startsWith('alias/')) {
      alias = ref;
    } else {
      const keyArn = KEY_ARN_PATTERN.exec(ref);
      const aliasArn = keyArn ? null : ALIAS_ARN_PATTERN.exec(ref);
      if (keyArn) {
        const entry = this.byId.get(keyArn[3]!.toLowerCase());
        // A key ARN names one region and account; the same UUID elsewhere is another key.
        if (entry && entry.doc.arn === this.arnFor(keyArn[3]!.toLowerCase(), keyArn[1]!, keyArn[2]!)) return entry;
      } else if (aliasArn && aliasArn[1] === this.region && aliasArn[2] === this.accountId) {
        alias = aliasArn[3]!;
      }
    }
    if (alias !== null) {
      const target = this.aliases.get(alias);
      if (target !== undefined) return this.byId.get(target)!;
      if (createManaged && AWS_MANAGED_ALIASES.has(alias)) return this.create('Default master key that protects my Kinesis data when no other key is defined', alias);
    }
    throw new RivuletError('STREAMS_KMS_NOT_FOUND', { keyId: ref });
  }

  private create(description: string, alias: string | undefined): KeyEntry {
    if (alias !== undefined && this.aliases.has(alias)) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `alias ${alias} already exists` });
    let keyId = newUuid(this.random);
    while (this.byId.has(keyId)) keyId = newUuid(this.random);
    const material = this.random(MATERIAL_BYTES);
    const doc: KeyDoc = {
      keyId,
      arn: this.arnFor(keyId, this.region, this.accountId),
      description,
      aliases: alias === undefined ? [] : [alias],
      enabled: true,
      createdAtMs: this.clock.now(),
      versions: [this.newVersion(keyId, 1, material)],
    };
    return this.save(doc, new Map([[1, secretFrom(material)]]));
  }

  private newVersion(keyId: string, version: number, material: Buffer): KeyVersionDoc {
    if (material.byteLength !== MATERIAL_BYTES) throw new RivuletError('STREAMS_STORAGE', { message: `random source returned ${material.byteLength} bytes of key material, not ${MATERIAL_BYTES}` });
    const stored = this.master ? this.wrap(keyId, version, material) : material.toString('base64');
    return { version, material: stored, createdAtMs: this.clock.now() };
  }

  /** Writes the file with `doc` in place of (or after) its current form, then updates memory. */
  private save(doc: KeyDoc, secrets: Map<number, KeyObject>): KeyEntry {
    const docs = [...this.byId.values()].map((e) => (e.doc.keyId === doc.keyId ? doc : e.doc));
    if (!this.byId.has(doc.keyId)) docs.push(doc);
    this.write(docs);
    return this.index(doc, secrets);
  }

  private index(doc: KeyDoc, secrets: Map<number, KeyObject>): KeyEntry {
    const newest = doc.versions.reduce((a, b) => (b.version > a.version ? b : a));
    const entry: KeyEntry = { doc, idBytes: uuidToBytes(doc.keyId), secrets, current: { version: newest.version, secret: secrets.get(newest.version)! } };
    this.byId.set(doc.keyId, entry);
    for (const alias of doc.aliases) {
      const owner = this.aliases.get(alias);
      if (owner !== undefined && owner !== doc.keyId) throw new RivuletError('STREAMS_STORAGE', { message: `alias ${alias} names both ${owner} and ${doc.keyId}` });
      this.aliases.set(alias, doc.keyId);
    }
    return entry;
  }

  private arnFor(keyId: string, region: string, accountId: string): string {
    return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
  }

  private wrap(keyId: string, version: number, material: Buffer): string {
    return sealBytes(this.master!, this.random(IV_BYTES), wrapAad(keyId, version), material).toString('base64');
  }

  private unwrap(keyId: string, v: KeyVersionDoc, wrapping: KeyFileDoc['wrapping']): KeyObject {
    const stored = Buffer.from(v.material, 'base64');
    if (wrapping === 'none') {
      if (stored.byteLength !== MATERIAL_BYTES) throw new RivuletError('STREAMS_STORAGE', { message: `key ${keyId} version ${v.version} has ${stored.byteLength} bytes of material, not ${MATERIAL_BYTES}` });
      return secretFrom(stored);
    }
    try {
      return secretFrom(openBytes(this.master!, wrapAad(keyId, v.version), stored));
    } catch (e) {
      throw new RivuletError(
        'STREAMS_STORAGE',
        { message: `cannot unwrap key ${keyId} version ${v.version} in ${this.path}: the master key is not the one this file was written with, or the file is damaged` },
        { cause: e },
      );
    }
  }

  private write(docs: KeyDoc[]): void {
    const file: KeyFileDoc = { format: 1, wrapping: this.master ? 'aes-256-gcm' : 'none', keys: docs };
    try {
      writeFileAtomicSync(this.path, `${JSON.stringify(file, null, 2)}\n`);
    } catch (e) {
      throw new RivuletError('STREAMS_STORAGE', { message: `cannot write ${this.path}` }, { cause: e });
    }
  }
}

function toDescription(doc: KeyDoc): KeyDescription {
  const versions = doc.versions.map((v) => ({ version: v.version, createdAtMs: v.createdAtMs }));
  return {
    keyId: doc.keyId,
    arn: doc.arn,
    description: doc.description,
    aliases: [...doc.aliases],
    enabled: doc.enabled,
    createdAtMs: doc.createdAtMs,
    currentVersion: Math.max(...versions.map((v) => v.version)),
    versions,
  };
}

/** Copies the material into a KeyObject and wipes the caller's copy. */
function secretFrom(material: Buffer): KeyObject {
  const secret = createSecretKey(Buffer.from(material));
  material.fill(0);
  return secret;
}

function wrapAad(keyId: string, version: number): Buffer {
  return Buffer.from(`rivulet-keystore:${keyId}:${version}`, 'utf8');
}

/** A version-4 UUID from the injected random source, so tests can make ids deterministic. */
function newUuid(random: (n: number) => Buffer): string {
  const bytes = Buffer.from(random(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytesToUuid(bytes);
}

async function readKeyFile(path: string): Promise<KeyFileDoc | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RivuletError('STREAMS_STORAGE', { message: `cannot read ${path}` }, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RivuletError('STREAMS_STORAGE', { message: `${path} is not valid JSON` }, { cause: e });
  }
  const first = Value.Errors(KeyFileDoc, parsed).First();
  if (first) throw new RivuletError('STREAMS_STORAGE', { message: `${path} does not match its schema at ${first.path || '/'}: ${first.message}` });
  return parsed as KeyFileDoc;
}

/** temp file (0600) + fsync + rename + fsync of the directory: the file is old or new, never torn. */
function writeFileAtomicSync(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    // A stale temp file keeps its old mode through open(); set it explicitly.
    fchmodSync(fd, 0o600);
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
