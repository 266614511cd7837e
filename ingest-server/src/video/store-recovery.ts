/**
 * Start-up repair of the fragment store, run by FragmentStore.open() before it serves anything.
 * A crash can leave: temp files (a write cut short), fragment files with no index entry (written
 * but never indexed, or unindexed by the trimmer and not yet deleted), directories of streams
 * that no longer exist, and index entries of streams that no longer exist. It removes all of
 * them, and drops any index entry whose file is missing, so no entry ever points at nothing.
 * Owns the repair only; the layout belongs to fragment-files.ts and index-keys.ts.
 */
import type { ClassicLevel } from 'classic-level';
import type { FragmentFiles } from './fragment-files.js';
import { decodeRecord, fragmentNumberOf, streamTagRange, timeKey } from './index-keys.js';
import type { VideoStreamDoc } from './model.js';

export interface RecoveryReport {
  /** Fragment files with no index entry, deleted. */
  orphanFiles: number;
  /** Index entries whose file was missing, deleted. */
  danglingEntries: number;
  /** Temp files, stray names and directories of deleted streams, deleted. */
  strayFiles: number;
  /** The highest fragment number seen on disk or in the index, so numbers are never reused. */
  highestFragment: string | null;
}

type BatchOp = { type: 'del'; key: string };

export async function recoverStore(db: ClassicLevel<string, string>, files: FragmentFiles, live: readonly VideoStreamDoc[]): Promise<RecoveryReport> {
  const report: RecoveryReport = { orphanFiles: 0, danglingEntries: 0, strayFiles: 0, highestFragment: null };
  const seen = (n: string) => {
    if (report.highestFragment === null || n > report.highestFragment) report.highestFragment = n;
  };
  const liveIds = new Set(live.map((d) => d.id));
  const dirs = await files.listStreamDirs();
  for (const name of dirs.strays) {
    await files.removeRootStray(name);
    report.strayFiles++;
  }
  for (const id of dirs.ids) {
    if (liveIds.has(id)) continue;
    await files.removeStream(id);
    report.strayFiles++;
  }
  await clearIndexOfDeadStreams(db, liveIds);
  for (const doc of live) {
    const listing = await files.listStream(doc.id);
    for (const name of listing.strays) {
      await files.removeStray(doc.id, name);
      report.strayFiles++;
    }
    const onDisk = new Set(listing.fragments);
    const indexed = new Set<string>();
    const dangling: BatchOp[] = [];
    for await (const [key, text] of db.iterator(streamTagRange('f', doc.id))) {
      const n = fragmentNumberOf(key);
      seen(n);
      if (onDisk.has(n)) {
        indexed.add(n);
        continue;
      }
      const record = decodeRecord(doc.name, n, text);
      dangling.push({ type: 'del', key }, { type: 'del', key: timeKey('p', doc.id, record.producerTimestampMs, n) }, { type: 'del', key: timeKey('t', doc.id, record.serverTimestampMs, n) });
      report.danglingEntries++;
    }
    if (dangling.length > 0) await db.batch(dangling, { sync: true });
    for (const n of listing.fragments) {
      seen(n);
      if (indexed.has(n)) continue;
      await files.remove(doc.id, n);
      report.orphanFiles++;
    }
  }
  return report;
}

/** Index entries under stream ids that have no live document (a delete cut short). */
async function clearIndexOfDeadStreams(db: ClassicLevel<string, string>, liveIds: ReadonlySet<number>): Promise<void> {
  for (const tag of ['f', 'p', 't'] as const) {
    // Walk one key per stream id: jump past each id's range instead of reading every key.
    let from = `${tag}!`;
    for (;;) {
      const [key] = await db.keys({ gte: from, lt: `${tag}!~`, limit: 1 }).all();
      if (key === undefined) break;
      const id = Number(key.slice(2, 12));
      const range = streamTagRange(tag, id);
      if (!liveIds.has(id)) await db.clear(range);
      from = range.lt;
    }
  }
}
