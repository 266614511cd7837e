/**
 * The file BlobStore: key `a/b/c` is the file `<root>/a/b/c`. Owns durable file I/O under one
 * root directory; not what the keys mean.
 *
 * Invariants:
 * - Paths come only from keys that passed assertBlobKey (blob-store.ts): relative, no `.` or `..`
 *   segment, no separator other than `/`, so no key reaches outside the root.
 * - put writes a temp file in the key's directory, fdatasyncs it, renames it over the final
 *   name and fsyncs the directory (and the parents it created), so a crash leaves the old bytes
 *   or the new ones, never a torn file, and an acknowledged put survives a power cut.
 *   `syncWrites: false` skips the syncs (tests, throwaway data).
 * - Temp files are named `~<n>.tmp`: `~` is never in a key, so list never returns one and no key
 *   collides with one. One process owns a root (the video store's LevelDB lock makes sure), so
 *   a temp file that is not one of this process's puts in flight was left by a crash: list
 *   removes those it walks past.
 * - delete removes directories it leaves empty (up to the root), so a prefix that was emptied
 *   leaves nothing behind; a put racing with that removal makes its directory again.
 */
import { mkdir, open as openFile, readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RivuletError } from '@rivulet/shared';
import { assertBlobKey, splitBlobPrefix, type BlobStore } from './blob-store.js';

export interface FsBlobStoreOptions {
  /** fdatasync files and fsync directories before a put resolves (default true). */
  syncWrites?: boolean;
}

const TEMP_MARK = '~';
const VALID_NAME = /^[A-Za-z0-9_.-]+$/;

export class FsBlobStore implements BlobStore {
  private readonly syncWrites: boolean;
  /** Temp file paths of puts in flight; any other temp file is a crash leftover. */
  private readonly inFlight = new Set<string>();
  private tempCounter = 0;

  constructor(
    readonly root: string,
    options: FsBlobStoreOptions = {},
  ) {
    this.syncWrites = options.syncWrites ?? true;
  }

  async open(): Promise<void> {
    await fsOp('creating the blob root', () => mkdir(this.root, { recursive: true }));
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  /** The file a key lives in (the key must be valid). */
  pathOf(key: string): string {
    assertBlobKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const final = this.pathOf(key);
    const dir = dirname(final);
    const temp = join(dir, `${TEMP_MARK}${process.pid}-${++this.tempCounter}.tmp`);
    this.inFlight.add(temp);
    try {
      await fsOp(`writing ${key}`, async () => {
        await this.makeDirs(dir);
        let handle;
        try {
          handle = await openFile(temp, 'w');
        } catch (err) {
          // A delete emptied and removed the directory between makeDirs and here: make it again.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          await this.makeDirs(dir);
          handle = await openFile(temp, 'w');
        }
        try {
          await handle.writeFile(bytes);
          if (this.syncWrites) await handle.datasync();
        } finally {
          await handle.close();
        }
        try {
          await rename(temp, final);
        } catch (err) {
          await unlink(temp).catch(() => undefined);
          throw err;
        }
        if (this.syncWrites) await syncDir(dir);
      });
    } finally {
      this.inFlight.delete(temp);
    }
  }

  async get(key: string): Promise<Buffer | null> {
    const path = this.pathOf(key);
    return fsOp(`reading ${key}`, () => readFile(path).catch((err: NodeJS.ErrnoException) => (isMissing(err) ? null : Promise.reject(err))));
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await fsOp(`deleting ${key}`, async () => {
      await unlink(path).catch((err: NodeJS.ErrnoException) => (isMissing(err) ? undefined : Promise.reject(err)));
      await this.removeEmptyDirs(dirname(path));
    });
  }

  async list(prefix: string): Promise<string[]> {
    const { segments, partial } = splitBlobPrefix(prefix);
    const keys: string[] = [];
    await fsOp(`listing ${prefix || 'all keys'}`, () => this.walk(segments, partial, keys));
    return keys.sort();
  }

  /** Adds the keys under `<root>/<segments>` whose next segment starts with `partial`. */
  private async walk(segments: string[], partial: string, keys: string[]): Promise<void> {
    const dir = join(this.root, ...segments);
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => (isMissing(err) ? [] : Promise.reject(err)));
    for (const entry of entries) {
      const name = entry.name;
      if (!name.startsWith(partial)) continue;
      if (name.startsWith(TEMP_MARK)) {
        const path = join(dir, name);
        if (entry.isFile() && !this.inFlight.has(path)) await unlink(path).catch((err: NodeJS.ErrnoException) => (isMissing(err) ? undefined : Promise.reject(err)));
        continue;
      }
      // Names no key can make (a file copied in by hand, say) are not blobs.
      if (!VALID_NAME.test(name) || name === '.' || name === '..') continue;
      if (entry.isDirectory()) await this.walk([...segments, name], '', keys);
      else if (entry.isFile()) keys.push([...segments, name].join('/'));
    }
  }

  /** mkdir -p, syncing the parent of each directory it made so the new entry is durable. */
  private async makeDirs(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined || !this.syncWrites) return;
    // `first` is the topmost directory made; sync its parent and every directory below it.
    for (let d = dir; ; d = dirname(d)) {
      await syncDir(dirname(d));
      if (d === first) break;
    }
  }

  private async removeEmptyDirs(from: string): Promise<void> {
    for (let dir = from; dir !== this.root && dir.startsWith(this.root); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || isMissing(err as NodeJS.ErrnoException)) return;
        throw err;
      }
    }
  }
}

function isMissing(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ENOENT' || err.code === 'ENOTDIR';
}

async function syncDir(dir: string): Promise<void> {
  const handle = await openFile(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Runs a file operation, turning what it throws into a RivuletError naming `what`. */
async function fsOp<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (cause) {
    if (cause instanceof RivuletError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    // A key whose path runs into a file, or that names a directory of other keys.
    if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') throw new RivuletError('BLOB_INVALID_KEY', { message: `${what}: a key cannot also be a directory of other keys` }, { cause });
    throw new RivuletError('BLOB_STORAGE', { message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` }, { cause });
  }
}
