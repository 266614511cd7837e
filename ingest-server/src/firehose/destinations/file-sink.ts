/**
 * FileObjectSink: the embedded default ObjectSink, where a bucket is a directory and an object
 * key is a relative path under it. Owns key-to-path safety and crash-safe writes; it does not
 * keep content type, encoding or metadata (a directory has nowhere to put them).
 *
 * Invariants:
 * - Nothing is ever written outside rootDir: keys with "..", ".", empty segments, a leading
 *   "/", a backslash or a NUL are refused, and the resolved parent directory must still lie
 *   under rootDir once symlinks are followed.
 * - A reader sees either the old object or the whole new one: the body goes to a temporary
 *   file in the target directory, is fsynced, renamed over the key, and the directory is fsynced.
 * - Putting the same key twice overwrites it (re-delivery of a batch is idempotent).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RivuletError } from '@rivulet/shared';
import type { ObjectSink, PutObjectOptions } from './object-sink.js';

/** Linux NAME_MAX: one path segment may hold at most 255 bytes. */
const MAX_SEGMENT_BYTES = 255;
/** S3: an object key is at most 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
const TEMP_PREFIX = '.rivulet-tmp-';

export class FileObjectSink implements ObjectSink {
  readonly description: string;
  private readonly rootDir: string;

  constructor(rootDir: string) {
    if (rootDir.length === 0 || rootDir.includes('\0')) {
      throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: 'The object sink directory must be a non-empty path' });
    }
    this.rootDir = resolve(rootDir);
    this.description = pathToFileURL(this.rootDir).href;
  }

  async put(key: string, body: Buffer | readonly Buffer[], _options?: PutObjectOptions): Promise<void> {
    const segments = checkKey(key);
    const target = join(this.rootDir, ...segments);
    // Defence in depth: the checks above already make this impossible.
    if (!target.startsWith(this.rootDir + sep)) throw badKey(key, 'it resolves outside the bucket directory');
    const dir = dirname(target);
    try {
      // Checked before mkdir too, so a symlinked directory cannot make us create directories elsewhere.
      await this.assertInsideRoot(await deepestExisting(dir, this.rootDir), key);
      await mkdir(dir, { recursive: true });
      await this.assertInsideRoot(dir, key);
      await writeAtomically(dir, target, body);
    } catch (err) {
      if (err instanceof RivuletError && err.code !== 'FIREHOSE_DELIVERY') throw err;
      throw new RivuletError('FIREHOSE_DELIVERY', { destination: this.description, message: `writing ${key}: ${describe(err)}` }, { cause: err });
    }
  }

  async get(key: string): Promise<Buffer> {
    const target = join(this.rootDir, ...checkKey(key));
    if (!target.startsWith(this.rootDir + sep)) throw badKey(key, 'it resolves outside the bucket directory');
    try {
      // The file itself may be a symlink: what it resolves to must lie under the root too.
      const [realRoot, realTarget] = await Promise.all([realpath(this.rootDir), realpath(target)]);
      if (!realTarget.startsWith(realRoot + sep)) throw badKey(key, 'it resolves outside the bucket directory');
      return await readFile(realTarget);
    } catch (err) {
      if (err instanceof RivuletError) throw err;
      throw new RivuletError('FIREHOSE_DELIVERY', { destination: this.description, message: `reading ${key}: ${describe(err)}` }, { cause: err });
    }
  }

  /** A symlinked subdirectory could otherwise point the write somewhere else entirely. */
  private async assertInsideRoot(dir: string, key: string): Promise<void> {
    const [realRoot, realDir] = await Promise.all([realpath(this.rootDir), realpath(dir)]);
    if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) {
      throw badKey(key, 'its directory resolves outside the bucket directory');
    }
  }
}

/** The nearest ancestor of dir (or dir itself) that exists, stopping at root. */
async function deepestExisting(dir: string, root: string): Promise<string> {
  let current = dir;
  while (current !== root) {
    try {
      await realpath(current);
      return current;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      current = dirname(current);
    }
  }
  return root;
}

/** Splits a key into path segments, refusing anything that could name a path outside the root. */
function checkKey(key: string): string[] {
  if (key.length === 0) throw badKey(key, 'it is empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw badKey(key, `it is longer than ${MAX_KEY_BYTES} bytes`);
  if (key.includes('\0')) throw badKey(key, 'it contains a NUL character');
  if (key.includes('\\')) throw badKey(key, 'it contains a backslash');
  if (key.startsWith('/')) throw badKey(key, 'it is an absolute path');
  const segments = key.split('/');
  for (const segment of segments) {
    // "a//b" and "a/" would name a directory or collapse segments; refuse rather than guess.
    if (segment === '') throw badKey(key, 'it has an empty path segment');
    if (segment === '.' || segment === '..') throw badKey(key, `it has a "${segment}" path segment`);
    if (segment.startsWith(TEMP_PREFIX)) throw badKey(key, `its segments may not start with ${TEMP_PREFIX}`);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) throw badKey(key, `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return segments;
}

async function writeAtomically(dir: string, target: string, body: Buffer | readonly Buffer[]): Promise<void> {
  const temp = join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
  let renamed = false;
  try {
    const file = await open(temp, 'wx', 0o644);
    try {
      if (Buffer.isBuffer(body)) await file.writeFile(body);
      else await writeParts(file, body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    renamed = true;
    // The rename is only durable once the directory entry is on disk.
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
}

/** writev in slices of IOV_MAX buffers, checking every byte went out. */
async function writeParts(file: FileHandle, parts: readonly Buffer[]): Promise<void> {
  for (let i = 0; i < parts.length; i += 1024) {
    const slice = parts.slice(i, i + 1024);
    const want = slice.reduce((n, b) => n + b.byteLength, 0);
    const { bytesWritten } = await file.writev(slice);
    if (bytesWritten !== want) throw new RivuletError('FIREHOSE_DELIVERY', { destination: 'file', message: `short write: ${bytesWritten} of ${want} bytes` });
  }
}

function badKey(key: string, why: string): RivuletError {
  return new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Object key ${JSON.stringify(key)} is refused: ${why}` });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
