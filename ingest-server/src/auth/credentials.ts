/**
 * The credentials file: the access keys rivulet-ingest accepts, kept as JSON (mode 0600) at
 * <dataDir>/credentials.json by default. Owns the file's schema, key generation and atomic
 * rewrites. Does not own request verification (auth/sigv4.ts) or the CLI (auth/keys-command.ts).
 *
 * Invariants:
 * - The file is only ever replaced whole (temp file, fsync, rename), so a reader sees the old
 *   or the new version, never a torn one.
 * - Mutations re-read the file first, so a running server and the `keys` command do not
 *   overwrite each other's changes unless they write within the same instant (there is no lock).
 * - Secrets are only handed out by createKey (once, to show the operator) and secretFor.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { systemClock, type Clock } from '@rivulet/shared';

export const CredentialKey = Type.Object({
  /** AWS allows 16 to 128 word characters; generated ids are RIV + 17 base32 characters. */
  accessKeyId: Type.String({ pattern: '^\\w{16,128}$' }),
  secretAccessKey: Type.String({ minLength: 1 }),
  name: Type.String({ maxLength: 128 }),
  /** ISO 8601, e.g. 2026-01-01T00:00:00.000Z. */
  createdAt: Type.String({ minLength: 1 }),
  revoked: Type.Boolean(),
});
export type CredentialKey = Static<typeof CredentialKey>;

export const CredentialsFile = Type.Object({ keys: Type.Array(CredentialKey) });
export type CredentialsFile = Static<typeof CredentialsFile>;

/** A key as it may be listed: everything but the secret. */
export type CredentialKeySummary = Omit<CredentialKey, 'secretAccessKey'>;

export type RevokeResult = 'revoked' | 'already-revoked' | 'not-found';

export const CREDENTIALS_FILE_NAME = 'credentials.json';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const ACCESS_KEY_PREFIX = 'RIV';
const ACCESS_KEY_LENGTH = 20;
/** The alphabet AWS access key ids are drawn from; 32 symbols, so one byte & 31 is unbiased. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** 30 random bytes are exactly 40 base64 characters, the length of an AWS secret access key. */
const SECRET_BYTES = 30;

/** The credentials file is unreadable, malformed, or could not be written. */
export class CredentialsFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
    this.name = 'CredentialsFileError';
  }
}

export interface CredentialsStoreDeps {
  clock: Pick<Clock, 'now'>;
  randomBytes: (size: number) => Buffer;
}

/** <dataDir>/credentials.json */
export function defaultCredentialsPath(dataDir: string): string {
  return join(dataDir, CREDENTIALS_FILE_NAME);
}

/**
 * @example
 * const store = await CredentialsStore.open(defaultCredentialsPath(config.dataDir));
 * const { accessKeyId, secretAccessKey } = await store.createKey('camera-12');
 * store.secretFor(accessKeyId); // => secretAccessKey
 */
export class CredentialsStore {
  private keys: CredentialKey[] = [];
  private byId = new Map<string, CredentialKey>();
  /** What load() last saw on disk, so reloadIfChanged() can skip an unchanged file. */
  private version = '';
  private readonly deps: CredentialsStoreDeps;

  constructor(
    readonly path: string,
    deps: Partial<CredentialsStoreDeps> = {},
  ) {
    this.deps = { clock: deps.clock ?? systemClock, randomBytes: deps.randomBytes ?? nodeRandomBytes };
  }

  /** Constructs a store and loads the file. */
  static async open(path: string, deps: Partial<CredentialsStoreDeps> = {}): Promise<CredentialsStore> {
    const store = new CredentialsStore(path, deps);
    await store.load();
    return store;
  }

  /** Reads and validates the file; a missing file is an empty store. */
  async load(): Promise<void> {
    const version = await this.fileVersion();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if (isNotFound(cause)) return this.replace([], '');
      throw new CredentialsFileError(this.path, `cannot read the credentials file (${errorMessage(cause)})`, { cause });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new CredentialsFileError(this.path, `not valid JSON (${errorMessage(cause)})`, { cause });
    }
    const first = Value.Errors(CredentialsFile, parsed).First();
    if (first) throw new CredentialsFileError(this.path, `${first.path || '/'}: ${first.message}`);
    const file = parsed as CredentialsFile;
    const seen = new Set<string>();
    for (const key of file.keys) {
      if (seen.has(key.accessKeyId)) throw new CredentialsFileError(this.path, `access key id ${key.accessKeyId} appears twice`);
      seen.add(key.accessKeyId);
    }
    this.replace(file.keys, version);
  }

  /** Reloads when the file changed on disk (for example after `keys revoke`); true if it did. */
  async reloadIfChanged(): Promise<boolean> {
    if ((await this.fileVersion()) === this.version) return false;
    await this.load();
    return true;
  }

  /** Generates, stores and returns a new key. This is the only time the secret is returned whole. */
  async createKey(name: string): Promise<CredentialKey> {
    await this.load();
    let accessKeyId = this.generateAccessKeyId();
    while (this.byId.has(accessKeyId)) accessKeyId = this.generateAccessKeyId();
    const key: CredentialKey = {
      accessKeyId,
      secretAccessKey: this.deps.randomBytes(SECRET_BYTES).toString('base64'),
      name,
      createdAt: new Date(this.deps.clock.now()).toISOString(),
      revoked: false,
    };
    const first = Value.Errors(CredentialKey, key).First();
    if (first) throw new CredentialsFileError(this.path, `cannot create key: ${first.path.slice(1)} ${first.message}`);
    await this.save([...this.keys, key]);
    return { ...key };
  }

  /** Every key, oldest first, without secrets. */
  listKeys(): CredentialKeySummary[] {
    return this.keys.map(({ secretAccessKey: _secret, ...summary }) => summary);
  }

  /** Marks a key revoked; it stays in the file so its id is never reissued. */
  async revokeKey(accessKeyId: string): Promise<RevokeResult> {
    await this.load();
    const key = this.byId.get(accessKeyId);
    if (!key) return 'not-found';
    if (key.revoked) return 'already-revoked';
    await this.save(this.keys.map((k) => (k.accessKeyId === accessKeyId ? { ...k, revoked: true } : k)));
    return 'revoked';
  }

  /** The secret to verify a signature with; null when the key is unknown or revoked. */
  secretFor(accessKeyId: string): string | null {
    const key = this.byId.get(accessKeyId);
    return key && !key.revoked ? key.secretAccessKey : null;
  }

  private generateAccessKeyId(): string {
    const bytes = this.deps.randomBytes(ACCESS_KEY_LENGTH - ACCESS_KEY_PREFIX.length);
    let id = ACCESS_KEY_PREFIX;
    for (const byte of bytes) id += BASE32.charAt(byte & 31);
    return id;
  }

  private replace(keys: CredentialKey[], version: string): void {
    this.keys = keys;
    this.byId = new Map(keys.map((k) => [k.accessKeyId, k]));
    this.version = version;
  }

  /** Writes the whole file atomically: a 0600 temp file beside it, fsync, then rename over it. */
  private async save(keys: CredentialKey[]): Promise<void> {
    const body: CredentialsFile = { keys };
    const tmp = `${this.path}.${process.pid}.${this.deps.randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: DIR_MODE });
      const handle = await open(tmp, 'wx', FILE_MODE);
      try {
        await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    } catch (cause) {
      await rm(tmp, { force: true });
      throw new CredentialsFileError(this.path, `cannot write the credentials file (${errorMessage(cause)})`, { cause });
    }
    this.replace(keys, await this.fileVersion());
  }

  /** Identity of the file on disk; '' when it does not exist. */
  private async fileVersion(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (cause) {
      if (isNotFound(cause)) return '';
      throw new CredentialsFileError(this.path, `cannot stat the credentials file (${errorMessage(cause)})`, { cause });
    }
  }
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
