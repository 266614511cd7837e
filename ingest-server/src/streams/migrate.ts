/**
 * Moving Data Streams from one ShardStore to another (LevelDB → JetStream for `rivulet migrate`),
 * through the ShardStore interface only, so any pair of engines works. Owns what is copied and
 * in which order; not opening the stores (the caller does) nor drawing progress (the CLI does).
 *
 * Invariants:
 * - The target's `next-stream-id` is raised first, so a server started on the target during an
 *   interrupted run never hands out an id whose chunks are being copied.
 * - Chunks are copied byte for byte (same position, count, arrival time and body), one shard's
 *   pages committed one after another, so the target shard is always a prefix of the source.
 * - A stream's document is written last: a document in the target means a finished copy.
 *   A rerun without one resumes each shard at the target's tail, once the partial copy is
 *   checked: no gap, and its last chunk identical to the source's.
 * - Stream ids are kept, so sequence numbers and issued iterators stay valid; a different stream
 *   holding the same id in the target is refused, never merged.
 * - Idempotent-producer states are copied last, when the source can list them (the LevelDB
 *   store can): a retry of a batch acknowledged before the migration is answered from its saved
 *   response, with the sequence numbers the copied records keep.
 */
import { Value } from '@sinclair/typebox/value';
import { RivuletError } from '@rivulet/shared';
import { StreamDoc } from './model.js';
import type { ShardStore, StoredChunk } from './store.js';

/** Settings the service keeps in the store (service.ts, registry.ts). */
const ITERATOR_SECRET = 'iterator-secret';
const NEXT_STREAM_ID = 'next-stream-id';

export interface MigrateProgress {
  stream: string;
  shard: number;
  /** Totals over the whole run so far. */
  chunksDone: number;
  recordsDone: number;
  bytesDone: number;
  /** Records still to copy plus those done: exact for the source as it was read at the start. */
  totalRecordsEstimate: number;
  /** Extrapolated from the records per chunk seen so far; undefined before the first chunk. */
  totalChunksEstimate?: number;
}

export interface MigrateOptions {
  from: ShardStore;
  to: ShardStore;
  /** Only these streams (default all). An unknown name is an error. */
  streams?: readonly string[];
  /** Replace a stream that already exists in the target with a different document. */
  force?: boolean;
  /** One target commit holds at most this many chunks and bytes (default 256 and 4 MiB). */
  pageChunks?: number;
  pageBytes?: number;
  /** Shards copied at once (default 4); one shard's pages are always committed in order. */
  shardConcurrency?: number;
  onProgress?(p: MigrateProgress): void;
  /** Stops between pages (rejecting with the abort reason); a rerun resumes. */
  signal?: AbortSignal;
}

export interface MigratedStream {
  name: string;
  streamId: number;
  shards: number;
  /** Copied in this run. */
  chunks: number;
  records: number;
  bytes: number;
  /** Records already in the target from an earlier, interrupted run. */
  recordsAlreadyThere: number;
  /** 'copied', 'resumed', or 'unchanged' when the target already held the same document and data. */
  outcome: 'copied' | 'resumed' | 'unchanged';
}

export interface MigrateSummary {
  streams: MigratedStream[];
  chunks: number;
  records: number;
  bytes: number;
  /** Whether the target now has the source's iterator secret (iterators issued before keep working). */
  iteratorSecretCopied: boolean;
  /** Producer states copied (0 when the source cannot list them, then `producerStatesCopied` is false). */
  producerStates: number;
  producerStatesCopied: boolean;
}

interface ShardPlan {
  stream: string;
  streamId: number;
  shard: number;
  /** Where the source's data starts and ends (first stored position, one past the last). */
  sourceFirst: number;
  sourceNext: number;
  /** Where the copy starts: the target's tail, or sourceFirst. */
  resumeAt: number;
}

interface StreamPlan {
  name: string;
  streamId: number;
  document: string;
  shardIndexes: number[];
  alreadyMigrated: boolean;
  shards: ShardPlan[];
}

/** The stream's id and shard indexes, from a document checked against its schema (as the registry loads it). */
function streamIdOf(name: string, document: string): { id: number; shards: number[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch (cause) {
    throw new RivuletError('STREAMS_STORAGE', { message: `stream document for ${name} is not JSON` }, { cause });
  }
  if (!Value.Check(StreamDoc, parsed)) throw new RivuletError('STREAMS_STORAGE', { message: `stream document for ${name} does not match its schema` });
  return { id: parsed.id, shards: parsed.shards.map((s) => s.index) };
}

const sameChunk = (a: StoredChunk, b: StoredChunk) =>
  a.firstPosition === b.firstPosition && a.count === b.count && a.arrivalMs === b.arrivalMs && Buffer.compare(Buffer.from(a.body), Buffer.from(b.body)) === 0;

/**
 * @example
 * await from.open(); await to.open();
 * const summary = await migrateStreams({ from, to, onProgress: (p) => bar.update({ done: p.recordsDone, total: p.totalRecordsEstimate }) });
 */
export async function migrateStreams(options: MigrateOptions): Promise<MigrateSummary> {
  const { from, to } = options;
  const sourceDocs = await from.loadStreams();
  const targetDocs = await to.loadStreams();
  const names = options.streams ? [...new Set(options.streams)] : [...sourceDocs.keys()].sort();
  for (const name of names) {
    if (!sourceDocs.has(name)) throw new RivuletError('STREAMS_NOT_FOUND', { stream: name, account: 'of the source store' });
  }

  const targetIds = new Map<number, string>();
  for (const [name, doc] of targetDocs) targetIds.set(streamIdOf(name, doc).id, name);
  const plans: StreamPlan[] = [];
  for (const name of names) {
    const document = sourceDocs.get(name)!;
    const { id, shards } = streamIdOf(name, document);
    const existing = targetDocs.get(name);
    const holder = targetIds.get(id);
    if (holder !== undefined && holder !== name) {
      throw new RivuletError('STREAMS_IN_USE', { message: `stream ${name} has id ${id}, which stream ${holder} already holds in the target; migrate into a target without it` });
    }
    const alreadyMigrated = existing === document;
    if (existing !== undefined && !alreadyMigrated && !options.force) {
      throw new RivuletError('STREAMS_IN_USE', { message: `stream ${name} already exists in the target with a different document; pass force to replace it` });
    }
    if (existing !== undefined && !alreadyMigrated) {
      // force: the target's version goes, data and all, and this copy starts from nothing.
      await to.deleteStream(name, streamIdOf(name, existing).id);
      await to.deleteStream(name, id);
    }
    plans.push({ name, streamId: id, document, shardIndexes: shards, alreadyMigrated, shards: [] });
  }

  // Before any chunk lands: no id the copy uses may be handed out by a server on the target.
  const maxSourceId = Math.max(0, ...[...sourceDocs].map(([n, d]) => streamIdOf(n, d).id));
  const nextId = Math.max(Number((await from.getSetting(NEXT_STREAM_ID)) ?? '1'), Number((await to.getSetting(NEXT_STREAM_ID)) ?? '1'), maxSourceId + 1);
  if (String(nextId) !== (await to.getSetting(NEXT_STREAM_ID))) await to.putSetting(NEXT_STREAM_ID, String(nextId));
  const iteratorSecretCopied = await copyIteratorSecret(from, to, targetDocs.size === 0 || options.force === true);

  let totalRecords = 0;
  for (const plan of plans) {
    plan.shards = await planShards(from, to, plan, options.force === true);
    for (const shard of plan.shards) totalRecords += shard.sourceNext - shard.resumeAt;
  }

  const done = { chunks: 0, records: 0, bytes: 0 };
  const summaries: MigratedStream[] = [];
  for (const plan of plans) {
    const before = { ...done };
    await runLimited(plan.shards, options.shardConcurrency ?? 4, (shard) =>
      copyShard(from, to, shard, options, (page) => {
        done.chunks += page.length;
        for (const c of page) {
          done.records += c.count;
          done.bytes += c.body.byteLength;
        }
        options.onProgress?.({
          stream: plan.name,
          shard: shard.shard,
          chunksDone: done.chunks,
          recordsDone: done.records,
          bytesDone: done.bytes,
          totalRecordsEstimate: totalRecords,
          ...(done.records > 0 ? { totalChunksEstimate: Math.ceil((totalRecords * done.chunks) / done.records) } : {}),
        });
      }),
    );
    for (const shard of plan.shards) {
      const tail = (await to.tail(plan.streamId, shard.shard)).nextPosition ?? shard.sourceFirst;
      // A finished copy may have grown since, written by a server on the target.
      if (plan.alreadyMigrated ? tail < shard.sourceNext : tail !== shard.sourceNext) {
        throw new RivuletError('STREAMS_STORAGE', { message: `after copying, shard ${shard.shard} of ${plan.name} ends at ${tail} in the target, ${shard.sourceNext} in the source` });
      }
    }
    if (!plan.alreadyMigrated) await to.saveStream(plan.name, plan.document);
    const records = done.records - before.records;
    const recordsAlreadyThere = plan.shards.reduce((n, s) => n + (s.resumeAt - s.sourceFirst), 0);
    summaries.push({
      name: plan.name,
      streamId: plan.streamId,
      shards: plan.shards.length,
      chunks: done.chunks - before.chunks,
      records,
      bytes: done.bytes - before.bytes,
      recordsAlreadyThere,
      outcome: plan.alreadyMigrated && records === 0 ? 'unchanged' : recordsAlreadyThere > 0 ? 'resumed' : 'copied',
    });
  }
  let producerStates = 0;
  if (from.listProducers) {
    for await (const producer of from.listProducers()) {
      await to.commit({ chunks: [], producer });
      producerStates++;
    }
  }
  await to.barrier();
  return { streams: summaries, ...done, iteratorSecretCopied, producerStates, producerStatesCopied: from.listProducers !== undefined };
}

/** The source's secret goes over when the target has none, or nothing in the target relies on its own. */
async function copyIteratorSecret(from: ShardStore, to: ShardStore, mayReplace: boolean): Promise<boolean> {
  const secret = await from.getSetting(ITERATOR_SECRET);
  if (secret === null) return false;
  const current = await to.getSetting(ITERATOR_SECRET);
  if (current === secret) return true;
  if (current !== null && !mayReplace) return false;
  await to.putSetting(ITERATOR_SECRET, secret);
  return true;
}

/** Every shard's plan; with force, a stream whose partial copy does not match starts over. */
async function planShards(from: ShardStore, to: ShardStore, plan: StreamPlan, force: boolean): Promise<ShardPlan[]> {
  const attempt = async () => {
    const shards: ShardPlan[] = [];
    for (const shard of plan.shardIndexes) shards.push(await planShard(from, to, plan, shard));
    return shards;
  };
  try {
    return await attempt();
  } catch (e) {
    if (!force || plan.alreadyMigrated || !(e instanceof RivuletError) || e.code !== 'STREAMS_STORAGE') throw e;
    await to.deleteStream(plan.name, plan.streamId);
    return attempt();
  }
}

/** Where the source shard's data lies, and where the target's copy of it stops. */
async function planShard(from: ShardStore, to: ShardStore, plan: StreamPlan, shard: number): Promise<ShardPlan> {
  const tail = await from.tail(plan.streamId, shard);
  const first = (await from.readChunks(plan.streamId, shard, 0, 1, 1))[0];
  const sourceNext = tail.nextPosition ?? 0;
  const sourceFirst = first?.firstPosition ?? sourceNext;
  const base = { stream: plan.name, streamId: plan.streamId, shard, sourceFirst, sourceNext };
  const targetTail = (await to.tail(plan.streamId, shard)).nextPosition;
  if (targetTail === null || targetTail <= sourceFirst) return { ...base, resumeAt: sourceFirst };
  if (plan.alreadyMigrated && targetTail >= sourceNext) return { ...base, resumeAt: sourceNext };
  // An earlier run got this far: its last chunk must be the source's chunk, byte for byte.
  const theirs = (await to.readChunks(plan.streamId, shard, targetTail - 1, 1, 1))[0];
  const ours = theirs ? (await from.readChunks(plan.streamId, shard, theirs.firstPosition, 1, 1))[0] : undefined;
  if (targetTail > sourceNext || !theirs || !ours || !sameChunk(theirs, ours) || !(await contiguous(to, plan.streamId, shard, sourceFirst, targetTail))) {
    throw new RivuletError('STREAMS_STORAGE', {
      message: `shard ${shard} of ${plan.name} in the target (up to position ${targetTail}) does not match the source (up to ${sourceNext}); pass force to copy it again`,
    });
  }
  return { ...base, resumeAt: targetTail };
}

/**
 * Whether the target holds [from, to) with no gap. A commit that failed part-way (a replicated
 * store need not be atomic across chunks) may have stored chunks after one it lost.
 */
async function contiguous(store: ShardStore, streamId: number, shard: number, from: number, to: number): Promise<boolean> {
  let expected = from;
  while (expected < to) {
    const page = (await store.readChunks(streamId, shard, expected, 4 * 1024 * 1024, 256)).filter((c) => c.firstPosition + c.count > expected);
    if (page.length === 0) return false;
    for (const c of page) {
      if (c.firstPosition !== expected) return false;
      expected += c.count;
      if (expected >= to) break;
    }
  }
  return expected === to;
}

async function copyShard(from: ShardStore, to: ShardStore, shard: ShardPlan, options: MigrateOptions, onPage: (page: StoredChunk[]) => void): Promise<void> {
  const pageChunks = options.pageChunks ?? 256;
  const pageBytes = options.pageBytes ?? 4 * 1024 * 1024;
  let position = shard.resumeAt;
  while (position < shard.sourceNext) {
    options.signal?.throwIfAborted();
    const page = (await from.readChunks(shard.streamId, shard.shard, position, pageBytes, pageChunks)).filter((c) => c.firstPosition >= position);
    if (page.length === 0) break;
    if (page[0]!.firstPosition !== position) {
      throw new RivuletError('STREAMS_STORAGE', { message: `shard ${shard.shard} of ${shard.stream}: expected a chunk at position ${position}, the source has one at ${page[0]!.firstPosition}` });
    }
    await to.commit({ chunks: page.map((c) => ({ streamId: shard.streamId, shardIndex: shard.shard, firstPosition: c.firstPosition, count: c.count, arrivalMs: c.arrivalMs, body: c.body })) });
    const last = page[page.length - 1]!;
    position = last.firstPosition + last.count;
    onPage(page);
  }
}

/** Runs fn over items with at most `limit` at once; the first failure is thrown after the rest settle. */
async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
