/**
 * The persisted shape of a data stream (one JSON document per stream in the ShardStore) and its
 * in-memory runtime form. Schema first: the document types come from these TypeBox schemas.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ShardMetrics } from './metrics.js';
import type { StoredChunk } from './store.js';

/** Per shard, the tail cache keeps at most this many chunks and bytes. */
export const RECENT_CHUNKS = 64;
export const RECENT_BYTES = 1024 * 1024;

export const ShardDoc = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  parentIndex: Type.Union([Type.Integer(), Type.Null()]),
  adjacentParentIndex: Type.Union([Type.Integer(), Type.Null()]),
  /** Decimal strings: the hash-key range is 128-bit. */
  startingHashKey: Type.String(),
  endingHashKey: Type.String(),
  createdAtMs: Type.Number(),
  /** Set when the shard is closed by a reshard: the last position it holds (-1 when empty). */
  endingPosition: Type.Union([Type.Integer({ minimum: -1 }), Type.Null()]),
  closedAtMs: Type.Optional(Type.Number()),
});
export type ShardDoc = Static<typeof ShardDoc>;

export const ConsumerDoc = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  createdAtMs: Type.Number(),
});
export type ConsumerDoc = Static<typeof ConsumerDoc>;

export const StreamDoc = Type.Object({
  name: Type.String(),
  id: Type.Integer({ minimum: 1 }),
  mode: Type.Union([Type.Literal('PROVISIONED'), Type.Literal('ON_DEMAND')]),
  createdAtMs: Type.Number(),
  retentionHours: Type.Integer(),
  shards: Type.Array(ShardDoc),
  nextShardIndex: Type.Integer(),
  tags: Type.Record(Type.String(), Type.String()),
  encryption: Type.Union([Type.Object({ type: Type.Literal('NONE') }), Type.Object({ type: Type.Literal('KMS'), keyId: Type.String() })]),
  consumers: Type.Array(ConsumerDoc),
  /** Shard-level metrics enabled through EnableEnhancedMonitoring. */
  shardLevelMetrics: Type.Array(Type.String()),
});
export type StreamDoc = Static<typeof StreamDoc>;

/** Per-shard state kept in memory beside the document. */
export interface ShardRuntime {
  doc: ShardDoc;
  startHash: bigint;
  endHash: bigint;
  /** The next position to assign to an incoming record. */
  nextPosition: number;
  /** One past the newest durable record; commits complete in order, so this only grows. */
  committedPosition: number;
  /** Arrival time of the newest committed record, for MillisBehindLatest. */
  lastArrivalMs: number;
  /**
   * The newest committed chunks, in position order, so readers at the tip are served from memory.
   * Bounded by RECENT_CHUNKS and RECENT_BYTES.
   */
  recent: StoredChunk[];
  recentBytes: number;
  /** Set by a reshard the moment routing stops; endingPosition follows once writes drain. */
  closing: boolean;
  /** Records and bytes accepted since the autoscaler last looked. */
  windowRecords: number;
  windowBytes: number;
  /** This shard's metrics handle, resolved on first use (RecordsService.metricsOf). */
  metrics?: ShardMetrics;
}

export interface StreamRuntime {
  doc: StreamDoc;
  arn: string;
  shards: Map<number, ShardRuntime>;
  /** Open shards sorted by starting hash key, for routing. */
  openShards: ShardRuntime[];
  /** Reshard, delete and update operations run one at a time per stream. */
  updating: boolean;
  /** Shared store: the stored revision this document was read at or saved as (0 otherwise). */
  revision: number;
}

export function isOpen(shard: ShardRuntime): boolean {
  return shard.doc.endingPosition === null && !shard.closing;
}

export function toRuntimeShard(doc: ShardDoc, nextPosition: number, lastArrivalMs: number): ShardRuntime {
  return {
    doc,
    startHash: BigInt(doc.startingHashKey),
    endHash: BigInt(doc.endingHashKey),
    nextPosition,
    committedPosition: nextPosition,
    lastArrivalMs,
    recent: [],
    recentBytes: 0,
    closing: doc.endingPosition !== null,
    windowRecords: 0,
    windowBytes: 0,
  };
}

/** Rebuilds the sorted list of open shards after the shard set changes. */
export function refreshOpenShards(stream: StreamRuntime): void {
  stream.openShards = [...stream.shards.values()]
    .filter(isOpen)
    .sort((a, b) => (a.startHash < b.startHash ? -1 : a.startHash > b.startHash ? 1 : 0));
}

/** Binary search for the open shard whose range holds hashKey. */
export function routeHashKey(stream: StreamRuntime, hashKey: bigint): ShardRuntime | undefined {
  const shards = stream.openShards;
  let lo = 0;
  let hi = shards.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const shard = shards[mid]!;
    if (hashKey < shard.startHash) hi = mid - 1;
    else if (hashKey > shard.endHash) lo = mid + 1;
    else return shard;
  }
  return undefined;
}

/** Adds a committed chunk to the shard's tail cache, evicting the oldest beyond the bounds. */
export function rememberRecent(shard: ShardRuntime, chunk: StoredChunk): void {
  shard.recent.push(chunk);
  shard.recentBytes += chunk.body.byteLength;
  while (shard.recent.length > RECENT_CHUNKS || (shard.recent.length > 1 && shard.recentBytes > RECENT_BYTES)) {
    shard.recentBytes -= shard.recent.shift()!.body.byteLength;
  }
}

/** Drops cached chunks that retention removed from the store, so memory and disk agree. */
export function forgetRecentBefore(shard: ShardRuntime, cutoffMs: number): void {
  while (shard.recent.length > 0 && shard.recent[0]!.arrivalMs < cutoffMs) {
    shard.recentBytes -= shard.recent.shift()!.body.byteLength;
  }
}
