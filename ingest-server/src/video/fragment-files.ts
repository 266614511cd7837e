/**
 * Fragment files: the bytes of fragment <n> of stream <id> are the blob `<id>/<n>.mkv`, in a
 * BlobStore (blob/blob-store.ts). By default that is an FsBlobStore on `root`, so the bytes are
 * the file <root>/<stream id>/<fragment number>.mkv, written durably (temp name, fdatasync,
 * rename, directory fsync), the layout existing data directories already have. Owns the keys
 * and the listing the start-up repair (store-recovery.ts) walks; not the index (store.ts).
 *
 * Path safety: the only key segments are a positive integer stream id and a fragment number
 * that matches /^\d{20}$/, both checked here, so no stream name or client input reaches a key;
 * the blob store checks every key again and keeps keys under its root.
 */
import { join } from 'node:path';
import { RivuletError } from '@rivulet/shared';
import { assertBlobKey, FsBlobStore, type BlobStore } from '../blob/index.js';
import { isFragmentNumber } from './fragment-number.js';

const SUFFIX = '.mkv';
const STREAM_ID = /^[1-9]\d{0,14}$/;

export interface StreamDirListing {
  /** Fragment numbers of complete files. */
  fragments: string[];
  /** Anything else: temp files from an interrupted write, stray names. */
  strays: string[];
}

export class FragmentFiles {
  private readonly blobs: BlobStore;

  /** `blobs`, when given, must be open; the default FsBlobStore on `root` needs no opening. */
  constructor(
    readonly root: string,
    syncWrites: boolean,
    blobs?: BlobStore,
  ) {
    this.blobs = blobs ?? new FsBlobStore(root, { syncWrites });
  }

  streamDir(streamId: number): string {
    return join(this.root, this.streamPrefix(streamId));
  }

  path(streamId: number, fragmentNumber: string): string {
    return join(this.root, this.key(streamId, fragmentNumber));
  }

  /** Durable once it resolves; replaces a file of the same number. */
  write(streamId: number, fragmentNumber: string, bytes: Buffer): Promise<void> {
    return this.blobs.put(this.key(streamId, fragmentNumber), bytes);
  }

  /** The fragment's bytes; a missing one rejects with an ENOENT error, as reading a file does. */
  async read(streamId: number, fragmentNumber: string): Promise<Buffer> {
    const bytes = await this.blobs.get(this.key(streamId, fragmentNumber));
    if (bytes === null) throw missing(this.path(streamId, fragmentNumber));
    return bytes;
  }

  /** Deletes a fragment file; one already gone is fine. */
  remove(streamId: number, fragmentNumber: string): Promise<void> {
    return this.blobs.delete(this.key(streamId, fragmentNumber));
  }

  /** Deletes a name listStream reported as a stray (a temp file, a stray file or a file under a stray directory). */
  async removeStray(streamId: number, name: string): Promise<void> {
    const key = `${this.streamPrefix(streamId)}/${name}`;
    if (isKey(key)) await this.blobs.delete(key);
  }

  async removeStream(streamId: number): Promise<void> {
    await this.removeAll(this.streamPrefix(streamId));
  }

  /** Top-level names: stream ids, and anything that is not one. */
  async listStreamDirs(): Promise<{ ids: number[]; strays: string[] }> {
    const tops = new Set((await this.blobs.list('')).map((key) => key.split('/', 1)[0]!));
    const ids: number[] = [];
    const strays: string[] = [];
    for (const name of tops) {
      if (STREAM_ID.test(name)) ids.push(Number(name));
      else strays.push(name);
    }
    return { ids, strays };
  }

  async removeRootStray(name: string): Promise<void> {
    if (isKey(name)) await this.removeAll(name);
  }

  async listStream(streamId: number): Promise<StreamDirListing> {
    const prefix = `${this.streamPrefix(streamId)}/`;
    const fragments: string[] = [];
    const strays: string[] = [];
    for (const key of await this.blobs.list(prefix)) {
      const name = key.slice(prefix.length);
      const number = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : '';
      if (isFragmentNumber(number)) fragments.push(number);
      else strays.push(name);
    }
    fragments.sort();
    return { fragments, strays };
  }

  private streamPrefix(streamId: number): string {
    if (!Number.isSafeInteger(streamId) || streamId < 1) throw new RivuletError('VIDEO_STORAGE', { message: `bad stream id ${streamId}` });
    return String(streamId);
  }

  private key(streamId: number, fragmentNumber: string): string {
    if (!isFragmentNumber(fragmentNumber)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'not a fragment number' });
    return `${this.streamPrefix(streamId)}/${fragmentNumber}${SUFFIX}`;
  }

  /** Deletes the blob `name` and every blob under `name/`. */
  private async removeAll(name: string): Promise<void> {
    for (const key of await this.blobs.list(name)) {
      if (key === name || key.startsWith(`${name}/`)) await this.blobs.delete(key);
    }
  }
}

function isKey(key: string): boolean {
  try {
    assertBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

/** The error a read of a missing file gives; store.ts tells "trimmed meanwhile" from a failure by its code. */
function missing(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT', errno: -2, syscall: 'open', path });
}
