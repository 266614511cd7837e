/**
 * AnalyticsStore: applications and their checkpoints in one LevelDB under <dataDir>/analytics.
 *
 * Keys:
 *   a!<name> -> the application's definition (JSON, see model.ts)
 *   c!<name> -> the last commit: output rows delivered so far, per output stream
 *   s!<name> -> the last snapshot: operator state, input positions, rows emitted, watermark
 * Invariants:
 * - A snapshot and the commit it goes with are written in one batch, with sync when the server
 *   runs with syncWrites: a crash leaves the previous pair or the new one, never a mix. Commits
 *   between snapshots are not synced (see saveCheckpoint).
 * - `delivered` only grows for a given snapshot lineage, so replay never resends a row twice.
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { RivuletError } from '@rivulet/shared';
import type { GraphSnapshot } from './graph.js';
import type { SourcePositions } from './source.js';

export interface Snapshot {
  graph: GraphSnapshot;
  positions: SourcePositions;
  emitted: Record<string, number>;
  watermarkMs: number | null;
}

export interface Checkpoint {
  delivered: Record<string, number>;
  /** Absent in a commit that keeps the previous snapshot. */
  snapshot?: Snapshot | undefined;
}

export class AnalyticsStore {
  private readonly db: ClassicLevel<string, string>;

  constructor(private readonly location: string, private readonly syncWrites: boolean) {
    this.db = new ClassicLevel<string, string>(location, { valueEncoding: 'utf8' });
  }

  async open(): Promise<void> {
    await mkdir(this.location, { recursive: true });
    await this.wrap('open', () => this.db.open());
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async listApps<T>(): Promise<T[]> {
    return this.wrap('list', async () => {
      const out: T[] = [];
      for await (const value of this.db.values({ gt: 'a!', lt: 'a"' })) out.push(JSON.parse(value) as T);
      return out;
    });
  }

  async saveApp(name: string, doc: unknown): Promise<void> {
    await this.wrap('save', () => this.db.put(`a!${name}`, JSON.stringify(doc), { sync: this.syncWrites }));
  }

  /** Deletes an application with its checkpoints. */
  async deleteApp(name: string): Promise<void> {
    await this.wrap('delete', () => this.db.batch([{ type: 'del', key: `a!${name}` }, { type: 'del', key: `c!${name}` }, { type: 'del', key: `s!${name}` }], { sync: this.syncWrites }));
  }

  /** Forgets where an application stopped (StartApplication from NOW or TRIM_HORIZON). */
  async resetCheckpoint(name: string): Promise<void> {
    await this.wrap('reset', () => this.db.batch([{ type: 'del', key: `c!${name}` }, { type: 'del', key: `s!${name}` }], { sync: this.syncWrites }));
  }

  /**
   * A commit without a snapshot is written without fsync: it survives a killed process (LevelDB
   * has written its log), and if a power cut loses it, the previous one holds and replay only
   * sends some rows again (at-least-once). A snapshot is synced like everything else.
   */
  async saveCheckpoint(name: string, checkpoint: Checkpoint): Promise<void> {
    const ops: { type: 'put'; key: string; value: string }[] = [{ type: 'put', key: `c!${name}`, value: JSON.stringify(checkpoint.delivered) }];
    if (checkpoint.snapshot) ops.push({ type: 'put', key: `s!${name}`, value: JSON.stringify(checkpoint.snapshot) });
    await this.wrap('checkpoint', () => this.db.batch(ops, { sync: this.syncWrites && checkpoint.snapshot !== undefined }));
  }

  async loadCheckpoint(name: string): Promise<Checkpoint | null> {
    return this.wrap('load', async () => {
      const [delivered, snapshot] = await this.db.getMany([`c!${name}`, `s!${name}`]);
      if (delivered === undefined && snapshot === undefined) return null;
      return {
        delivered: delivered === undefined ? {} : (JSON.parse(delivered) as Record<string, number>),
        snapshot: snapshot === undefined ? undefined : (JSON.parse(snapshot) as Snapshot),
      };
    });
  }

  private async wrap<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new RivuletError('ANALYTICS_STORAGE', { message: `${what}: ${(err as Error).message}` }, { cause: err });
    }
  }
}
