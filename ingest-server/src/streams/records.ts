/**
 * Record reads and writes: PutRecords routing and group-committed appends, shard iterators and
 * GetRecords. Positions are assigned here, synchronously, so order within a shard is the order
 * requests arrive; the store makes them durable in that same order. On a store several
 * processes share, the store assigns positions instead (shared-put.ts), and reads ask the store
 * where this process's tail state would be stale.
 */
import { RivuletError, decodeSequenceNumber, encodeSequenceNumber, hashPartitionKey, parseHashKey, shardIdFor } from '@rivulet/shared';
import { chunkDataSpans, decodeBase64Into, decodeChunk, decodedLength, encodeChunk, isEncryptedChunk, type ChunkInput } from './chunk-codec.js';
import type { StreamsDeps } from './deps.js';
import type { IteratorCodec } from './iterator-token.js';
import { NO_STREAMS_METRICS, type ShardMetrics } from './metrics.js';
import { rememberRecent, routeHashKey, type ShardRuntime, type StreamRuntime } from './model.js';
import type { StreamRegistry } from './registry.js';
import { ResponseWriter } from './response-writer.js';
import { putShared, type SharedPutParts } from './shared-put.js';
import type { ProducerWrite, StoredChunk } from './store.js';
import type { ThroughputLimiter } from './throughput.js';

export interface PutEntry {
  /** The data as the client sent it: base64 text, already checked. */
  dataBase64: string;
  /** How many bytes the data decodes to (limits count these). */
  dataBytes: number;
  partitionKey: string;
  explicitHashKey?: string | undefined;
}

export type PutResult = { SequenceNumber: string; ShardId: string } | { ErrorCode: string; ErrorMessage: string };

export type IteratorType = 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'AT_TIMESTAMP';

/** Kinesis: GetRecords returns at most 10,000 records and 10 MiB. */
export const MAX_GET_RECORDS = 10_000;
export const MAX_GET_BYTES = 10 * 1024 * 1024;

/** One record as an in-process consumer reads it (`RecordsService.readFrom`). */
export interface InternalRecord {
  shardIndex: number;
  position: number;
  arrivalMs: number;
  /** The record's data is bytes [start, end) of `block`, which several records share (no object per record). */
  block: Buffer;
  start: number;
  end: number;
}

/** A record's data as its own Buffer view. */
export function recordData(r: InternalRecord): Buffer {
  return r.block.subarray(r.start, r.end);
}

export interface InternalRead {
  records: InternalRecord[];
  /** The position to read from next. */
  next: number;
  /** The shard is closed (by a reshard) and every record of it has been read. */
  ended: boolean;
}

interface PendingShard {
  shard: ShardRuntime;
  records: ChunkInput[];
  bytes: number;
}

export class RecordsService {
  private readonly sharedParts: SharedPutParts;

  constructor(
    private readonly deps: StreamsDeps,
    private readonly registry: StreamRegistry,
    private readonly iterators: IteratorCodec,
    private readonly limiter: ThroughputLimiter,
  ) {
    this.sharedParts = {
      deps,
      registry,
      limiter,
      route: (stream, entry) => this.route(stream, entry),
      encryptionFor: (stream) => this.encryptionFor(stream),
      refuseWhole: (stream, entries, admitted, shard) => this.refuseWhole(stream, entries, admitted, shard),
      recordsIn: (stream, shard, records, bytes) => this.metricsOf(stream, shard).recordsIn(records, bytes),
    };
  }

  /**
   * Appends entries, refusing per record what the shard limits refuse (unless `limited` is false). `producer` turns the results
   * into the response and producer state, which are committed in the same batch as the records. `dedupKey` (an idempotent
   * producer's id and batch sequence) lets a shared store deduplicate the batch itself.
   */
  async put(
    stream: StreamRuntime,
    entries: readonly PutEntry[],
    producer?: (results: PutResult[]) => ProducerWrite,
    atomic = false,
    limited = true,
    dedupKey?: string,
  ): Promise<PutResult[]> {
    const shared = this.deps.store.shared;
    if (shared) return putShared(this.sharedParts, shared, stream, entries, producer, atomic, limited, dedupKey);
    const results: PutResult[] = new Array(entries.length);
    const byShard = new Map<number, PendingShard>();
    const streamId = stream.doc.id;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const shard = this.route(stream, entry);
      const bytes = entry.dataBytes + entry.partitionKey.length;
      // `limited` false: the server's own writers (an Analytics tap) are not a client with a quota.
      if (limited && !this.limiter.admitWrite(streamId, shard.doc.index, bytes)) {
        if (atomic) this.refuseWhole(stream, entries, i, shard);
        results[i] = {
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: `Rate exceeded for shard ${shardIdFor(shard.doc.index)} in stream ${stream.doc.name} under account ${this.deps.accountId}.`,
        };
        continue;
      }
      let pending = byShard.get(shard.doc.index);
      if (!pending) byShard.set(shard.doc.index, (pending = { shard, records: [], bytes: 0 }));
      const position = shard.nextPosition + pending.records.length;
      pending.records.push({ partitionKey: entry.partitionKey, dataBase64: entry.dataBase64 });
      pending.bytes += bytes;
      results[i] = { SequenceNumber: encodeSequenceNumber({ streamId, shardIndex: shard.doc.index, position }), ShardId: shardIdFor(shard.doc.index) };
    }
    const encryption = this.encryptionFor(stream);
    const arrivalMs = this.deps.clock.now();
    const chunks = [];
    for (const pending of byShard.values()) {
      const shard = pending.shard;
      const firstPosition = shard.nextPosition;
      shard.nextPosition += pending.records.length;
      shard.windowRecords += pending.records.length;
      shard.windowBytes += pending.bytes;
      chunks.push({
        streamId,
        shardIndex: shard.doc.index,
        firstPosition,
        count: pending.records.length,
        arrivalMs: Math.max(arrivalMs, shard.lastArrivalMs),
        body: encodeChunk(pending.records, encryption),
      });
    }
    await this.deps.store.commit(producer ? { chunks, producer: producer(results) } : { chunks });
    for (const c of chunks) {
      const shard = stream.shards.get(c.shardIndex);
      if (!shard) continue;
      if (c.arrivalMs > shard.lastArrivalMs) shard.lastArrivalMs = c.arrivalMs;
      shard.committedPosition = Math.max(shard.committedPosition, c.firstPosition + c.count);
      rememberRecent(shard, c);
    }
    for (const pending of byShard.values()) this.metricsOf(stream, pending.shard).recordsIn(pending.records.length, pending.bytes);
    return results;
  }

  /** All-or-nothing batches: refund what the first `admitted` records took, then fail whole. */
  private refuseWhole(stream: StreamRuntime, entries: readonly PutEntry[], admitted: number, shard: ShardRuntime): never {
    for (let j = 0; j < admitted; j++) {
      const entry = entries[j]!;
      this.limiter.refundWrite(stream.doc.id, this.route(stream, entry).doc.index, entry.dataBytes + entry.partitionKey.length);
    }
    throw new RivuletError('STREAMS_THROUGHPUT', { shard: shardIdFor(shard.doc.index), stream: stream.doc.name, account: this.deps.accountId });
  }

  /** The shard's metrics handle, resolved once per shard so puts and reads do no label lookups. */
  private metricsOf(stream: StreamRuntime, shard: ShardRuntime): ShardMetrics {
    return (shard.metrics ??= (this.deps.metrics ?? NO_STREAMS_METRICS).shard(stream.doc.name, shardIdFor(shard.doc.index)));
  }

  private route(stream: StreamRuntime, entry: PutEntry): ShardRuntime {
    let hashKey: bigint;
    if (entry.explicitHashKey !== undefined) {
      const parsed = parseHashKey(entry.explicitHashKey);
      if (parsed === null) {
        throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${entry.explicitHashKey}` });
      }
      hashKey = parsed;
    } else {
      hashKey = hashPartitionKey(entry.partitionKey);
    }
    const shard = routeHashKey(stream, hashKey);
    if (!shard) throw new RivuletError('STREAMS_STORAGE', { message: `no open shard covers hash key ${hashKey}` });
    return shard;
  }

  private encryptionFor(stream: StreamRuntime) {
    const enc = stream.doc.encryption;
    if (enc.type !== 'KMS') return null;
    if (!this.deps.keys) throw new RivuletError('STREAMS_KMS_NOT_FOUND', { keyId: enc.keyId });
    return { cipher: this.deps.keys, keyId: enc.keyId };
  }

  async shardIterator(stream: StreamRuntime, shardId: string, type: IteratorType, sequenceNumber?: string, timestampMs?: number): Promise<string> {
    const shard = this.requireShard(stream, shardId);
    const now = this.deps.clock.now();
    let position: number;
    switch (type) {
      case 'TRIM_HORIZON':
        position = 0;
        break;
      case 'LATEST':
        position = await this.tip(stream, shard);
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        if (sequenceNumber === undefined) {
          throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Must specify StartingSequenceNumber for ${type} iterator type` });
        }
        const parts = decodeSequenceNumber(sequenceNumber);
        if (!parts || parts.streamId !== stream.doc.id || parts.shardIndex !== shard.doc.index) {
          throw new RivuletError('STREAMS_INVALID_ARGUMENT', {
            message: `Invalid StartingSequenceNumber. It encodes a different stream or shard than ${shardId} in stream ${stream.doc.name} under account ${this.deps.accountId}.`,
          });
        }
        position = type === 'AT_SEQUENCE_NUMBER' ? parts.position : parts.position + 1;
        break;
      }
      case 'AT_TIMESTAMP': {
        if (timestampMs === undefined) {
          throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP.' });
        }
        if (timestampMs > now) {
          throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${timestampMs}, currentTimestampInMillis: ${now}` });
        }
        // Past the newest committed record: start at the first uncommitted position, not past
        // it, so a put still committing (its arrival after the timestamp) is not skipped.
        // The tip is read before the lookup: a commit finishing during it must not move it.
        const tip = await this.tip(stream, shard);
        position = (await this.deps.store.positionAtTime(stream.doc.id, shard.doc.index, timestampMs)) ?? tip;
        break;
      }
    }
    return this.iterators.encode({ streamId: stream.doc.id, shardIndex: shard.doc.index, position, issuedAtMs: now });
  }

  requireShard(stream: StreamRuntime, shardId: string): ShardRuntime {
    const m = /^(?:shardId-)?(\d{1,12})$/.exec(shardId);
    const shard = m ? stream.shards.get(Number(m[1])) : undefined;
    if (!shard) {
      throw new RivuletError('STREAMS_SHARD_NOT_FOUND', { shard: shardId, stream: stream.doc.name, account: this.deps.accountId });
    }
    return shard;
  }

  /**
   * GetRecords. Returns the JSON body as bytes, built by hand because it is the hot path: stored
   * records already hold base64 data and JSON partition keys, so each one is a copy.
   */
  async get(token: string, limit: number): Promise<ResponseWriter> {
    const now = this.deps.clock.now();
    const it = this.iterators.decode(token, now);
    const stream = this.registry.byId(it.streamId);
    if (!stream) throw new RivuletError('STREAMS_NOT_FOUND', { stream: `with id ${it.streamId}`, account: this.deps.accountId });
    const shard = stream.shards.get(it.shardIndex);
    if (!shard) throw new RivuletError('STREAMS_SHARD_NOT_FOUND', { shard: shardIdFor(it.shardIndex), stream: stream.doc.name, account: this.deps.accountId });
    if (!this.limiter.admitRead(stream.doc.id, shard.doc.index)) {
      throw new RivuletError('STREAMS_THROUGHPUT', { shard: shardIdFor(shard.doc.index), stream: stream.doc.name, account: this.deps.accountId });
    }
    const endingPosition = shard.doc.endingPosition;
    const chunks = await this.chunksFrom(stream, shard, it.position, limit);
    const out = new ResponseWriter();
    out.text('{"Records":[');
    let count = 0;
    let next = it.position;
    let bytes = 0;
    let lastArrival = 0;
    let truncated = false;
    outer: for (const chunk of chunks) {
      const records = decodeChunk(chunk.body, chunk.count, this.deps.keys);
      const head = `,"ApproximateArrivalTimestamp":${chunk.arrivalMs / 1000},"Data":"`;
      const tail = isEncryptedChunk(chunk.body) ? ',"EncryptionType":"KMS"}' : '}';
      for (let i = Math.max(0, it.position - chunk.firstPosition); i < records.length; i++) {
        const position = chunk.firstPosition + i;
        if (endingPosition !== null && position > endingPosition) break outer;
        const record = records[i]!;
        const size = decodedLength(record.dataBase64);
        if (count >= limit || (count > 0 && bytes + size > MAX_GET_BYTES)) {
          truncated = true;
          break outer;
        }
        const seq = encodeSequenceNumber({ streamId: stream.doc.id, shardIndex: shard.doc.index, position });
        out.text(count === 0 ? '{"SequenceNumber":"' : ',{"SequenceNumber":"');
        out.text(seq);
        out.text('"');
        out.text(head);
        out.bytes(record.dataBase64);
        out.text('","PartitionKey":');
        out.bytes(record.partitionKeyJson);
        out.text(tail);
        count++;
        bytes += size;
        next = position + 1;
        lastArrival = chunk.arrivalMs;
      }
    }
    this.limiter.recordRead(stream.doc.id, shard.doc.index, bytes);
    // Shared store: no process knows the tip without asking; a read that stopped short of its limits reached it.
    const atTip = !truncated && (this.deps.store.shared ? chunks.length < limit : next >= shard.committedPosition);
    const behind = atTip || count === 0 ? 0 : Math.max(0, now - lastArrival);
    this.metricsOf(stream, shard).recordsOut(count, bytes, behind);
    out.text(`],"MillisBehindLatest":${behind}`);
    if (endingPosition !== null && next > endingPosition) {
      out.text(`,"ChildShards":${JSON.stringify(this.childShards(stream, shard))}}`);
    } else {
      const nextToken = this.iterators.encode({ streamId: stream.doc.id, shardIndex: shard.doc.index, position: next, issuedAtMs: now });
      out.text(`,"NextShardIterator":"${nextToken}"}`);
    }
    return out;
  }

  /**
   * In-process read for the server's own consumers (Analytics applications): the records of one
   * shard from `position` on, decoded, without the JSON body and without the GetRecords rate
   * limit, which is a per-client Kinesis quota. `ended` says the shard is closed and read to its end.
   */
  async readFrom(stream: StreamRuntime, shardIndex: number, position: number, limit: number): Promise<InternalRead> {
    const shard = stream.shards.get(shardIndex);
    if (!shard) throw new RivuletError('STREAMS_SHARD_NOT_FOUND', { shard: shardIdFor(shardIndex), stream: stream.doc.name, account: this.deps.accountId });
    const endingPosition = shard.doc.endingPosition;
    const records: InternalRecord[] = [];
    let next = position;
    // Which records of which chunks, first; then one buffer for all their data, each record a range of it.
    const spans: { firstPosition: number; arrivalMs: number; plain: Buffer; offsets: Uint32Array; first: number; end: number }[] = [];
    let total = 0;
    let taken = 0;
    for (const chunk of await this.chunksFrom(stream, shard, position, limit)) {
      const { plain, spans: offsets } = chunkDataSpans(chunk.body, chunk.count, this.deps.keys);
      const first = Math.max(0, position - chunk.firstPosition);
      let end = Math.min(chunk.count, first + limit - taken);
      if (endingPosition !== null) end = Math.min(end, endingPosition - chunk.firstPosition + 1);
      if (end > first) {
        spans.push({ firstPosition: chunk.firstPosition, arrivalMs: chunk.arrivalMs, plain, offsets, first, end });
        // Base64 of n bytes is 4 * ceil(n / 3) long: an upper bound of the decoded size.
        for (let i = first; i < end; i++) total += ((offsets[2 * i + 1]! - offsets[2 * i]!) / 4) * 3;
        taken += end - first;
        next = chunk.firstPosition + end;
      }
      if (taken >= limit || end < chunk.count) break;
    }
    const data = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const span of spans) {
      for (let i = span.first; i < span.end; i++) {
        const length = decodeBase64Into(span.plain, data, offset, span.offsets[2 * i]!, span.offsets[2 * i + 1]!);
        records.push({ shardIndex, position: span.firstPosition + i, arrivalMs: span.arrivalMs, block: data, start: offset, end: offset + length });
        offset += length;
      }
    }
    return { records, next, ended: endingPosition !== null && next > endingPosition };
  }

  /** Where a read starts: the oldest retained record, or the first one at or after `timestampMs`. */
  async startPosition(stream: StreamRuntime, shardIndex: number, from: { kind: 'TRIM_HORIZON' } | { kind: 'AT_TIMESTAMP'; timestampMs: number }): Promise<number> {
    const shard = stream.shards.get(shardIndex);
    if (!shard) throw new RivuletError('STREAMS_SHARD_NOT_FOUND', { shard: shardIdFor(shardIndex), stream: stream.doc.name, account: this.deps.accountId });
    if (from.kind === 'TRIM_HORIZON') return 0;
    // As for AT_TIMESTAMP iterators: a put still committing is not skipped.
    const tip = await this.tip(stream, shard);
    return (await this.deps.store.positionAtTime(stream.doc.id, shardIndex, from.timestampMs)) ?? tip;
  }

  /** One past the newest committed record: this process's own count, or on a shared store the store's tail. */
  private async tip(stream: StreamRuntime, shard: ShardRuntime): Promise<number> {
    if (!this.deps.store.shared) return shard.committedPosition;
    return (await this.deps.store.tail(stream.doc.id, shard.doc.index)).nextPosition ?? 0;
  }

  /** Chunks from `position` on: none at the tip, the tail cache when it covers, else the store. */
  private async chunksFrom(stream: StreamRuntime, shard: ShardRuntime, position: number, limit: number): Promise<StoredChunk[]> {
    if (this.deps.store.shared) return this.deps.store.readChunks(stream.doc.id, shard.doc.index, position, Math.ceil((MAX_GET_BYTES * 4) / 3), limit);
    if (position >= shard.committedPosition) return [];
    const first = shard.recent[0];
    if (first && position >= first.firstPosition) return shard.recent.filter((c) => c.firstPosition + c.count > position);
    // Stored chunks hold base64, a third larger than the data the 10 MiB limit counts.
    return this.deps.store.readChunks(stream.doc.id, shard.doc.index, position, Math.ceil((MAX_GET_BYTES * 4) / 3), limit);
  }

  childShards(stream: StreamRuntime, parent: ShardRuntime) {
    const children = [...stream.shards.values()].filter((s) => s.doc.parentIndex === parent.doc.index || s.doc.adjacentParentIndex === parent.doc.index);
    return children.map((c) => ({
      ShardId: shardIdFor(c.doc.index),
      ParentShards: [c.doc.parentIndex, c.doc.adjacentParentIndex].filter((p): p is number => p !== null).map(shardIdFor),
      HashKeyRange: { StartingHashKey: c.doc.startingHashKey, EndingHashKey: c.doc.endingHashKey },
    }));
  }
}
