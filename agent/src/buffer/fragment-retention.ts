/**
 * Local retention for video fragment files: bounds what one camera keeps on the device by age
 * and by bytes. Owns the accounting of fragment files (which exist, how big, how old) and the
 * deletions retention decides; not uploads (the video uploader deletes what the server has
 * PERSISTED and tells this module) and not the index records (a record whose file retention
 * deleted is acknowledged by the uploader when it finds the file gone).
 *
 * Policies, as for the record buffer:
 * - delete_oldest: a new fragment is always kept; the oldest files go until the camera is back
 *   under its bounds. Recent video beats old video.
 * - deny_new: what is kept stays; a new fragment that does not fit is deleted at once and counted.
 * Age always applies: a file older than maxAgeMs is deleted whatever the policy.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@rivulet/shared';

export type RetentionPolicy = 'delete_oldest' | 'deny_new';

export interface FragmentRetentionOptions {
  /** The camera's fragment directory. */
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  policy: RetentionPolicy;
}

export interface RetentionStats {
  files: number;
  bytes: number;
  /** Fragments deleted by retention before the server had them. */
  deleted: number;
  /** New fragments refused under deny_new. */
  denied: number;
}

interface Tracked {
  path: string;
  bytes: number;
  /** Wall time the fragment was added (or the file's mtime, for files found at start). */
  addedMs: number;
}

export class FragmentRetention {
  /** Oldest first. */
  private readonly files: Tracked[] = [];
  private readonly paths = new Map<string, Tracked>();
  private bytes = 0;
  private readonly counters = { deleted: 0, denied: 0 };

  constructor(
    private readonly opts: FragmentRetentionOptions,
    private readonly deps: { clock: Clock },
  ) {}

  /** Takes stock of the files already in the directory (after a restart). */
  async load(): Promise<void> {
    const names = await readdir(this.opts.dir).catch(() => [] as string[]);
    const found: Tracked[] = [];
    for (const name of names) {
      // Dot files (the live view's preview link) are second names, not fragments of their own.
      if (name.startsWith('.')) continue;
      const path = join(this.opts.dir, name);
      const s = await stat(path).catch(() => null);
      if (s?.isFile()) found.push({ path, bytes: s.size, addedMs: s.mtimeMs });
    }
    found.sort((a, b) => a.addedMs - b.addedMs);
    for (const f of found) this.track(f);
  }

  stats(): RetentionStats {
    return { files: this.files.length, bytes: this.bytes, ...this.counters };
  }

  /** A new fragment file: true when it is kept, false when deny_new refused (and deleted) it. */
  async add(path: string, bytes: number): Promise<boolean> {
    await this.expire();
    const { maxBytes, policy } = this.opts;
    if (policy === 'deny_new' && this.bytes + bytes > maxBytes) {
      await rm(path, { force: true });
      this.counters.denied++;
      return false;
    }
    this.track({ path, bytes, addedMs: this.deps.clock.now() });
    while (this.bytes > maxBytes && this.files.length > 1) await this.deleteOldest();
    return true;
  }

  /** The uploader deleted a file the server has: it no longer counts. */
  forget(path: string): void {
    const tracked = this.paths.get(path);
    if (!tracked) return;
    this.paths.delete(path);
    this.bytes -= tracked.bytes;
    const i = this.files.indexOf(tracked);
    if (i >= 0) this.files.splice(i, 1);
  }

  /** Deletes files older than maxAgeMs; call on a timer and before each add. */
  async expire(): Promise<void> {
    const cutoff = this.deps.clock.now() - this.opts.maxAgeMs;
    while (this.files.length > 0 && this.files[0]!.addedMs < cutoff) await this.deleteOldest();
  }

  private track(f: Tracked): void {
    this.files.push(f);
    this.paths.set(f.path, f);
    this.bytes += f.bytes;
  }

  private async deleteOldest(): Promise<void> {
    const oldest = this.files.shift()!;
    this.paths.delete(oldest.path);
    this.bytes -= oldest.bytes;
    await rm(oldest.path, { force: true });
    this.counters.deleted++;
  }
}
