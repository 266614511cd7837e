/**
 * One camera's fragment directory, <fragments root>/<source name>/. ffmpeg writes each segment
 * as `<run>-<n>.mkv.part`; when the segment list announces it finished, the source renames it to
 * `<run>-<n>.mkv` and only then appends its FragmentRef. So a `.part` file is one that was never
 * announced (ffmpeg was killed mid-segment, or the agent died before the rename) and is deleted
 * on start; a `.mkv` file belongs to the uploader, which deletes it after PERSISTED.
 *
 * Run prefixes (`<wall ms at start>-<run index>`) never repeat a prefix already on disk, so a new
 * run cannot overwrite a fragment still waiting for upload even if the clock went back.
 * Owns names, the cleanup and the rename; file I/O goes through FragmentFs.
 */
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface FragmentFs {
  mkdirp(dir: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  sizeOf(path: string): Promise<number>;
  remove(path: string): Promise<void>;
}

export const nodeFragmentFs: FragmentFs = {
  mkdirp: async (dir) => void (await mkdir(dir, { recursive: true })),
  list: (dir) => readdir(dir),
  rename: (from, to) => rename(from, to),
  sizeOf: async (path) => (await stat(path)).size,
  remove: (path) => unlink(path),
};

export const PART_SUFFIX = '.part';
export const FRAGMENT_EXTENSION = '.mkv';

export class FragmentFiles {
  private readonly prefixesOnDisk = new Set<string>();

  constructor(
    /** The fragments root (<buffer path>/video). */
    readonly root: string,
    readonly sourceName: string,
    private readonly fs: FragmentFs = nodeFragmentFs,
  ) {}

  get dir(): string {
    return join(this.root, this.sourceName);
  }

  /**
   * Creates the directory, deletes every `.part` file (never announced) and notes the run
   * prefixes of the fragments left for the uploader. Returns the names it deleted.
   */
  async prepare(): Promise<string[]> {
    await this.fs.mkdirp(this.dir);
    const removed: string[] = [];
    for (const name of await this.fs.list(this.dir)) {
      if (name.endsWith(PART_SUFFIX)) {
        await this.fs.remove(join(this.dir, name));
        removed.push(name);
      } else {
        const prefix = runPrefixOf(name);
        if (prefix) this.prefixesOnDisk.add(prefix);
      }
    }
    return removed;
  }

  /** A run prefix no file on disk uses, from the run's wall-clock start and index. */
  newRunPrefix(wallMs: number, runIndex: number): string {
    let index = runIndex;
    let prefix = `${Math.max(0, Math.round(wallMs))}-${index}`;
    while (this.prefixesOnDisk.has(prefix)) prefix = `${Math.max(0, Math.round(wallMs))}-${++index}`;
    this.prefixesOnDisk.add(prefix);
    return prefix;
  }

  /** The ffmpeg output pattern for a run. */
  outputPattern(prefix: string): string {
    return join(this.dir, `${prefix}-%06d${FRAGMENT_EXTENSION}${PART_SUFFIX}`);
  }

  /** Whether an announced name is one of this run's segments (and not a path elsewhere). */
  isRunSegment(prefix: string, name: string): boolean {
    return new RegExp(`^${prefix}-\\d{6,}\\${FRAGMENT_EXTENSION}\\${PART_SUFFIX}$`).test(name);
  }

  /**
   * Renames an announced `.part` file into place and returns its final name (relative to the
   * root) and size; a zero-byte segment is deleted and reported as null.
   */
  async finish(partName: string): Promise<{ file: string; path: string; bytes: number } | null> {
    const finalName = partName.slice(0, -PART_SUFFIX.length);
    const partPath = join(this.dir, partName);
    const bytes = await this.fs.sizeOf(partPath);
    if (bytes === 0) {
      await this.fs.remove(partPath);
      return null;
    }
    const path = join(this.dir, finalName);
    await this.fs.rename(partPath, path);
    return { file: `${this.sourceName}/${finalName}`, path, bytes };
  }

  /** Deletes a finished fragment that will not be uploaded (the buffer refused its record). */
  async discard(path: string): Promise<void> {
    await this.fs.remove(path);
  }
}

/** `<wall>-<index>` from `<wall>-<index>-<n>.mkv`, or null for a name that is not ours. */
function runPrefixOf(name: string): string | null {
  const m = /^(\d+-\d+)-\d+\.mkv$/.exec(name);
  return m ? m[1]! : null;
}
