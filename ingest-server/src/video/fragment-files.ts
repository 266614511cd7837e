/**
 * Fragment files on disk: <root>/<stream id>/<fragment number>.mkv. Owns paths and durable file
 * I/O (temp name, fdatasync, rename, directory fsync); not the index (store.ts).
 *
 * Path safety: the only path components are a positive integer stream id and a fragment number
 * that matches /^\d{20}$/, both checked here, so no stream name or client input reaches a path.
 */
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RivuletError } from '@rivulet/shared';
import { isFragmentNumber } from './fragment-number.js';

const SUFFIX = '.mkv';
const TEMP_SUFFIX = '.tmp';

export interface StreamDirListing {
  /** Fragment numbers of complete files. */
  fragments: string[];
  /** Anything else: temp files from an interrupted write, stray names. */
  strays: string[];
}

export class FragmentFiles {
  private readonly made = new Set<number>();

  constructor(
    readonly root: string,
    private readonly syncWrites: boolean,
  ) {}

  streamDir(streamId: number): string {
    if (!Number.isSafeInteger(streamId) || streamId < 1) throw new RivuletError('VIDEO_STORAGE', { message: `bad stream id ${streamId}` });
    return join(this.root, String(streamId));
  }

  path(streamId: number, fragmentNumber: string): string {
    if (!isFragmentNumber(fragmentNumber)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'not a fragment number' });
    return join(this.streamDir(streamId), fragmentNumber + SUFFIX);
  }

  /** Writes the file under a temp name, syncs it, renames it into place and syncs the directory. */
  async write(streamId: number, fragmentNumber: string, bytes: Buffer): Promise<void> {
    const dir = this.streamDir(streamId);
    if (!this.made.has(streamId)) {
      await mkdir(dir, { recursive: true });
      if (this.syncWrites) await syncDir(this.root);
      this.made.add(streamId);
    }
    const final = this.path(streamId, fragmentNumber);
    const temp = final + TEMP_SUFFIX;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      if (this.syncWrites) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, final);
    if (this.syncWrites) await syncDir(dir);
  }

  read(streamId: number, fragmentNumber: string): Promise<Buffer> {
    return readFile(this.path(streamId, fragmentNumber));
  }

  /** Deletes a fragment file; one already gone is fine. */
  async remove(streamId: number, fragmentNumber: string): Promise<void> {
    await unlink(this.path(streamId, fragmentNumber)).catch(ignoreMissing);
  }

  async removeStray(streamId: number, name: string): Promise<void> {
    if (name.includes('/') || name.includes('\\') || name === '.' || name === '..') return;
    await rm(join(this.streamDir(streamId), name), { force: true, recursive: true });
  }

  async removeStream(streamId: number): Promise<void> {
    this.made.delete(streamId);
    await rm(this.streamDir(streamId), { recursive: true, force: true });
  }

  /** Directory names under the root: stream ids, and anything that is not one. */
  async listStreamDirs(): Promise<{ ids: number[]; strays: string[] }> {
    const names = await readdir(this.root).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
    const ids: number[] = [];
    const strays: string[] = [];
    for (const name of names) {
      if (/^[1-9]\d{0,14}$/.test(name)) ids.push(Number(name));
      else strays.push(name);
    }
    return { ids, strays };
  }

  async removeRootStray(name: string): Promise<void> {
    if (name.includes('/') || name === '.' || name === '..') return;
    await rm(join(this.root, name), { recursive: true, force: true });
  }

  async listStream(streamId: number): Promise<StreamDirListing> {
    const names = await readdir(this.streamDir(streamId)).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
    const fragments: string[] = [];
    const strays: string[] = [];
    for (const name of names) {
      const number = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : '';
      if (isFragmentNumber(number)) fragments.push(number);
      else strays.push(name);
    }
    if (names.length > 0) this.made.add(streamId);
    fragments.sort();
    return { fragments, strays };
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
