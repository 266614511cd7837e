/**
 * PutRecord(s) on a store several rivulet-ingest processes share: the store assigns positions
 * (so two processes appending to one shard never collide), and a shard another process closed
 * by a reshard refuses the append; those records are routed again, to the children, after
 * catching up with the other processes' changes. Sequence numbers are known once appended.
 * An idempotent producer's batch is deduplicated by the store (`dedupKey`): retried through any
 * process within the store's window, even after a crash lost its saved response, it is stored
 * once and answered with the same sequence numbers.
 */
import { createHash } from 'node:crypto';
import { RivuletError, encodeSequenceNumber, shardIdFor } from '@rivulet/shared';
import { encodeChunk, type ChunkInput } from './chunk-codec.js';
import type { StreamsDeps } from './deps.js';
import type { ShardRuntime, StreamRuntime } from './model.js';
import type { PutEntry, PutResult } from './records.js';
import type { StreamRegistry } from './registry.js';
import type { AppendChunk, ProducerWrite, SharedStreamsStore } from './store.js';
import type { ThroughputLimiter } from './throughput.js';

/** What the shared write path borrows from RecordsService. */
export interface SharedPutParts {
  deps: StreamsDeps;
  registry: StreamRegistry;
  limiter: ThroughputLimiter;
  route(stream: StreamRuntime, entry: PutEntry): ShardRuntime;
  encryptionFor(stream: StreamRuntime): Parameters<typeof encodeChunk>[1];
  refuseWhole(stream: StreamRuntime, entries: readonly PutEntry[], admitted: number, shard: ShardRuntime): never;
  recordsIn(stream: StreamRuntime, shard: ShardRuntime, records: number, bytes: number): void;
}

interface Group {
  shard: ShardRuntime;
  indexes: number[];
  records: ChunkInput[];
  bytes: number;
}

/** Rounds of re-routing after a reshard elsewhere before giving up (each one catches up first). */
const MAX_REROUTES = 5;

export async function putShared(
  parts: SharedPutParts,
  shared: SharedStreamsStore,
  initial: StreamRuntime,
  entries: readonly PutEntry[],
  producer: ((results: PutResult[]) => ProducerWrite) | undefined,
  atomic: boolean,
  limited: boolean,
  dedupKey: string | undefined,
): Promise<PutResult[]> {
  const { deps, limiter } = parts;
  const results: PutResult[] = new Array(entries.length);
  let stream = initial;
  let pending = entries.map((_, i) => i);
  for (let round = 0; pending.length > 0; round++) {
    if (round > 0) {
      if (round > MAX_REROUTES) {
        throw new RivuletError('STREAMS_STORAGE_UNAVAILABLE', { message: `stream ${stream.doc.name} is being resharded; retry the request` });
      }
      await parts.registry.sync();
      const current = parts.registry.byId(stream.doc.id);
      if (!current) throw new RivuletError('STREAMS_NOT_FOUND', { stream: stream.doc.name, account: deps.accountId });
      stream = current;
    }
    const groups = new Map<number, Group>();
    for (const i of pending) {
      const entry = entries[i]!;
      const shard = parts.route(stream, entry);
      const bytes = entry.dataBytes + entry.partitionKey.length;
      if (round === 0 && limited && !limiter.admitWrite(stream.doc.id, shard.doc.index, bytes)) {
        if (atomic) parts.refuseWhole(stream, entries, i, shard);
        results[i] = {
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: `Rate exceeded for shard ${shardIdFor(shard.doc.index)} in stream ${stream.doc.name} under account ${deps.accountId}.`,
        };
        continue;
      }
      let group = groups.get(shard.doc.index);
      if (!group) groups.set(shard.doc.index, (group = { shard, indexes: [], records: [], bytes: 0 }));
      group.indexes.push(i);
      group.records.push({ partitionKey: entry.partitionKey, dataBase64: entry.dataBase64 });
      group.bytes += bytes;
    }
    const list = [...groups.values()];
    const encryption = parts.encryptionFor(stream);
    const now = deps.clock.now();
    const chunks: AppendChunk[] = list.map((g) => ({
      streamId: stream.doc.id,
      shardIndex: g.shard.doc.index,
      count: g.records.length,
      // Arrival never goes back within a shard as this process sees it (time lookups search by it).
      arrivalMs: Math.max(now, g.shard.lastArrivalMs),
      body: encodeChunk(g.records, encryption),
      // An idempotent producer's retry, on any process, makes the same groups: stored once, same positions.
      ...(dedupKey === undefined ? {} : { dedupId: `${dedupKey}/${g.shard.doc.index}/${groupDigest(g.indexes)}` }),
    }));
    const outcomes = await shared.append(chunks);
    pending = [];
    for (let k = 0; k < list.length; k++) {
      const group = list[k]!;
      const outcome = outcomes[k]!;
      if ('closed' in outcome) {
        pending.push(...group.indexes);
        continue;
      }
      const shardIndex = group.shard.doc.index;
      const shardId = shardIdFor(shardIndex);
      group.indexes.forEach((i, j) => {
        results[i] = { SequenceNumber: encodeSequenceNumber({ streamId: stream.doc.id, shardIndex, position: outcome.firstPosition + j }), ShardId: shardId };
      });
      group.shard.lastArrivalMs = Math.max(group.shard.lastArrivalMs, chunks[k]!.arrivalMs);
      group.shard.windowRecords += group.records.length;
      group.shard.windowBytes += group.bytes;
      parts.recordsIn(stream, group.shard, group.records.length, group.bytes);
    }
    pending.sort((a, b) => a - b);
  }
  if (producer) await deps.store.commit({ chunks: [], producer: producer(results) });
  return results;
}

/** Names which entries of the request a chunk holds (a retry throttled differently makes other groups). */
function groupDigest(indexes: readonly number[]): string {
  return createHash('sha1').update(indexes.join(',')).digest('base64url').slice(0, 16);
}
