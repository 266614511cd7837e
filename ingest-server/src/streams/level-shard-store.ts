/**
 * The embedded ShardStore for one machine: record chunks in an append-only segment log
 * (segment-log.ts), indexed in LevelDB (classic-level).
 *
 * Invariants:
 * - Keys are binary and big-endian, so one shard's chunks form one contiguous, ordered range:
 *     0x02 | streamId u32 | shardIndex u32 | firstPosition u64
 *       -> count u32 | arrivalMs f64 | segment u32 | offset f64 | length u32   (where the body is)
 *   and a time index, one entry per chunk, makes AT_TIMESTAMP and retention range operations:
 *     0x03 | streamId u32 | shardIndex u32 | arrivalMs u64 | firstPosition u64 -> count u32
 * - Group commit: commits that arrive while a write is in flight are merged into the next group,
 *   which is one segment append with one fdatasync, then one LevelDB batch. Call order is kept.
 * - The segment log is the write-ahead log: a commit resolves once its payload is fdatasync'd.
 *   The LevelDB batch that indexes it carries the log checkpoint; on open, records after the
 *   checkpoint are re-indexed, so an index lost in a power cut is rebuilt, and a torn log tail is
 *   cut off. Metadata writes (stream documents, settings) are LevelDB writes with sync.
 * - Payload bytes never enter LevelDB; a segment is deleted once no live stream can need it.
 */
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { RivuletError } from '@rivulet/shared';
import { decodeCommit, encodeCommit } from './commit-record.js';
import { SegmentLog, type AppendedRecord, type LogPosition } from './segment-log.js';
import type { CommitRequest, ProducerWrite, ShardStore, ShardTail, StoredChunk } from './store.js';

const TAG_STREAM = 0x01;
const TAG_CHUNK = 0x02;
const TAG_TIME = 0x03;
const TAG_PRODUCER = 0x04;
const TAG_SETTING = 0x05;
const TAG_SEGMENT = 0x06;
const INDEX_VALUE_BYTES = 28;
const CHECKPOINT = 'log-checkpoint';

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

interface PendingCommit {
  /** Metadata operations, written to LevelDB with sync. */
  ops: BatchOp[];
  /** A commit of chunks, written to the segment log first. */
  request?: CommitRequest;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface IndexedChunk {
  count: number;
  arrivalMs: number;
  segment: number;
  offset: number;
  length: number;
}

export interface LevelShardStoreOptions {
  /** A directory: LevelDB goes in `index/`, the segment log in `segments/`. */
  location: string;
  /** fdatasync each group commit before acknowledging (default true). */
  syncWrites?: boolean;
  segmentBytes?: number;
}

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buf: Uint8Array, offset: number): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return view.readUInt32BE(offset) * 0x1_0000_0000 + view.readUInt32BE(offset + 4);
}

function shardPrefix(tag: number, streamId: number, shardIndex: number, extra: number): Buffer {
  const key = Buffer.allocUnsafe(9 + extra);
  key[0] = tag;
  key.writeUInt32BE(streamId, 1);
  key.writeUInt32BE(shardIndex, 5);
  return key;
}

export function chunkKey(streamId: number, shardIndex: number, position: number): Buffer {
  const key = shardPrefix(TAG_CHUNK, streamId, shardIndex, 8);
  writeU64(key, position, 9);
  return key;
}

function timeKey(streamId: number, shardIndex: number, arrivalMs: number, position: number): Buffer {
  const key = shardPrefix(TAG_TIME, streamId, shardIndex, 16);
  writeU64(key, Math.max(0, Math.floor(arrivalMs)), 9);
  writeU64(key, position, 17);
  return key;
}

function streamRange(tag: number, streamId: number): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.alloc(5);
  gte[0] = tag;
  gte.writeUInt32BE(streamId, 1);
  const lt = Buffer.alloc(5);
  if (streamId === 0xffffffff) {
    lt[0] = tag + 1;
  } else {
    lt[0] = tag;
    lt.writeUInt32BE(streamId + 1, 1);
  }
  return { gte, lt };
}

function shardRange(tag: number, streamId: number, shardIndex: number): { gte: Buffer; lt: Buffer } {
  const gte = shardPrefix(tag, streamId, shardIndex, 0);
  // Keys after the 9-byte prefix are at most 16 bytes, so 17 bytes of 0xff sort after them all.
  return { gte, lt: Buffer.concat([gte, Buffer.alloc(17, 0xff)]) };
}

function namedKey(tag: number, name: string): Buffer {
  return Buffer.concat([Buffer.from([tag]), Buffer.from(name, 'utf8')]);
}

function decodeIndex(value: Uint8Array): IndexedChunk {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return {
    count: view.readUInt32BE(0),
    arrivalMs: view.readDoubleBE(4),
    segment: view.readUInt32BE(12),
    offset: view.readDoubleBE(16),
    length: view.readUInt32BE(24),
  };
}

function encodeIndex(c: IndexedChunk): Buffer {
  const value = Buffer.allocUnsafe(INDEX_VALUE_BYTES);
  value.writeUInt32BE(c.count, 0);
  value.writeDoubleBE(c.arrivalMs, 4);
  value.writeUInt32BE(c.segment, 12);
  value.writeDoubleBE(c.offset, 16);
  value.writeUInt32BE(c.length, 24);
  return value;
}

export class LevelShardStore implements ShardStore {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly log: SegmentLog;
  private readonly syncWrites: boolean;
  private queue: PendingCommit[] = [];
  private writing: Promise<void> | null = null;
  /** Per segment, per stream: the newest arrival in it, to know when a segment is dead. */
  private readonly segmentStreams = new Map<number, Map<number, number>>();
  private checkpoint: LogPosition | null = null;

  private readonly location: string;

  constructor(options: LevelShardStoreOptions) {
    this.location = options.location;
    this.db = new ClassicLevel<Buffer, Buffer>(join(options.location, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    this.syncWrites = options.syncWrites ?? true;
    this.log = new SegmentLog(join(options.location, 'segments'), options.segmentBytes, this.syncWrites);
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (cause) {
      const locked = (cause as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED';
      const message = locked ? `${this.location} is in use by another rivulet-ingest process` : `cannot open LevelDB in ${this.location}: ${String(cause)}`;
      throw new RivuletError('STREAMS_STORAGE', { message }, { cause });
    }
    for await (const [key, value] of this.db.iterator({ gte: Buffer.from([TAG_SEGMENT]), lt: Buffer.from([TAG_SEGMENT + 1]) })) {
      const streams = JSON.parse(value.toString('utf8')) as [number, number][];
      this.segmentStreams.set(key.readUInt32BE(1), new Map(streams));
    }
    const saved = await this.getSetting(CHECKPOINT);
    this.checkpoint = saved === null ? null : (JSON.parse(saved) as LogPosition);
    // Re-index whatever the log holds past the checkpoint (lost with LevelDB's unsynced tail).
    const replay = await this.log.recover(this.checkpoint);
    const ops: BatchOp[] = [];
    for (const record of replay) {
      const commit = decodeCommit(record.payload);
      const request = { chunks: commit.chunks.map((c) => ({ ...c, body: new Uint8Array(0) })), ...(commit.producer ? { producer: commit.producer } : {}) };
      ops.push(...this.indexOps(request, record, commit.chunks.map((c) => ({ offset: c.bodyOffset, length: c.bodyLength }))));
      this.checkpoint = { segment: record.segment, offset: record.offset + record.length };
    }
    if (ops.length > 0) {
      ops.push(...this.bookkeepingOps());
      await this.db.batch(ops, { sync: true });
    }
  }

  async close(): Promise<void> {
    await this.barrier();
    await this.log.close();
    await this.db.close();
  }

  async loadStreams(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const [key, value] of this.db.iterator({ gte: Buffer.from([TAG_STREAM]), lt: Buffer.from([TAG_STREAM + 1]) })) {
      out.set(key.subarray(1).toString('utf8'), value.toString('utf8'));
    }
    return out;
  }

  saveStream(name: string, document: string): Promise<void> {
    return this.enqueue({ ops: [{ type: 'put', key: namedKey(TAG_STREAM, name), value: Buffer.from(document, 'utf8') }] });
  }

  async deleteStream(name: string, streamId: number): Promise<void> {
    await this.enqueue({ ops: [{ type: 'del', key: namedKey(TAG_STREAM, name) }] });
    await this.db.clear(streamRange(TAG_CHUNK, streamId));
    await this.db.clear(streamRange(TAG_TIME, streamId));
  }

  commit(request: CommitRequest): Promise<void> {
    return this.enqueue({ ops: [], request });
  }

  async barrier(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async tail(streamId: number, shardIndex: number): Promise<ShardTail> {
    const range = shardRange(TAG_CHUNK, streamId, shardIndex);
    const entries = await this.db.iterator({ ...range, reverse: true, limit: 1 }).all();
    const last = entries[0];
    if (!last) return { nextPosition: null, lastArrivalMs: null };
    const index = decodeIndex(last[1]);
    return { nextPosition: readU64(last[0], 9) + index.count, lastArrivalMs: index.arrivalMs };
  }

  async readChunks(streamId: number, shardIndex: number, fromPosition: number, maxBytes: number, maxChunks: number): Promise<StoredChunk[]> {
    const range = shardRange(TAG_CHUNK, streamId, shardIndex);
    const from = chunkKey(streamId, shardIndex, fromPosition);
    // The chunk that contains fromPosition starts at or before it.
    const before = await this.db.keys({ gte: range.gte, lte: from, reverse: true, limit: 1 }).all();
    const entries = await this.db.iterator({ gte: before[0] ?? from, lt: range.lt, limit: maxChunks }).all();
    const wanted: { firstPosition: number; index: IndexedChunk }[] = [];
    let bytes = 0;
    for (const [key, value] of entries) {
      const firstPosition = readU64(key, 9);
      const index = decodeIndex(value);
      if (firstPosition + index.count <= fromPosition) continue;
      wanted.push({ firstPosition, index });
      bytes += index.length;
      if (bytes >= maxBytes) break;
    }
    const out: StoredChunk[] = [];
    for (const { firstPosition, index } of wanted) {
      const body = await this.readBody(index);
      // A body whose segment was swept after its index entry expired is simply gone.
      if (body) out.push({ firstPosition, count: index.count, arrivalMs: index.arrivalMs, body });
    }
    return out;
  }

  async positionAtTime(streamId: number, shardIndex: number, atMs: number): Promise<number | null> {
    const range = shardRange(TAG_TIME, streamId, shardIndex);
    const keys = await this.db.keys({ gte: timeKey(streamId, shardIndex, atMs, 0), lt: range.lt, limit: 1 }).all();
    const first = keys[0];
    return first ? readU64(first, 17) : null;
  }

  async trimBefore(streamId: number, shardIndex: number, beforeMs: number): Promise<number> {
    const range = shardRange(TAG_TIME, streamId, shardIndex);
    const expired = await this.db.keys({ gte: range.gte, lt: timeKey(streamId, shardIndex, beforeMs, 0) }).all();
    const last = expired[expired.length - 1];
    if (!last) return 0;
    const lastPosition = readU64(last, 17);
    // Range deletes: every chunk up to and including the last expired one, and its index entries.
    await this.db.clear({ gte: chunkKey(streamId, shardIndex, 0), lte: chunkKey(streamId, shardIndex, lastPosition) });
    await this.db.clear({ gte: range.gte, lte: last });
    return expired.length;
  }

  async sweep(cutoffByStream: ReadonlyMap<number, number>): Promise<number> {
    let removed = 0;
    const active = this.log.activeSegment();
    for (const [segment, streams] of [...this.segmentStreams]) {
      if (segment === active) continue;
      const live = [...streams].some(([streamId, newest]) => {
        const cutoff = cutoffByStream.get(streamId);
        return cutoff !== undefined && newest >= cutoff;
      });
      if (live) continue;
      await this.log.remove(segment);
      this.segmentStreams.delete(segment);
      await this.db.del(segmentKey(segment));
      removed++;
    }
    return removed;
  }

  async loadProducer(producerId: string): Promise<string | null> {
    const value = await this.db.get(namedKey(TAG_PRODUCER, producerId));
    return value === undefined ? null : value.toString('utf8');
  }

  async *listProducers(): AsyncIterable<ProducerWrite> {
    for await (const [key, value] of this.db.iterator({ gte: Buffer.from([TAG_PRODUCER]), lt: Buffer.from([TAG_PRODUCER + 1]) })) {
      yield { producerId: key.subarray(1).toString('utf8'), state: value.toString('utf8') };
    }
  }

  async getSetting(name: string): Promise<string | null> {
    const value = await this.db.get(namedKey(TAG_SETTING, name));
    return value === undefined ? null : value.toString('utf8');
  }

  putSetting(name: string, value: string): Promise<void> {
    return this.enqueue({ ops: [{ type: 'put', key: namedKey(TAG_SETTING, name), value: Buffer.from(value, 'utf8') }] });
  }

  private async readBody(index: IndexedChunk): Promise<Buffer | null> {
    try {
      return await this.log.read(index.segment, index.offset, index.length);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new RivuletError('STREAMS_STORAGE', { message: `reading segment ${index.segment}: ${String(cause)}` }, { cause });
    }
  }

  /** Index entries for one logged commit, and the segment bookkeeping it implies. */
  private indexOps(request: CommitRequest, at: AppendedRecord, bodies: { offset: number; length: number }[]): BatchOp[] {
    const ops: BatchOp[] = [];
    request.chunks.forEach((c, i) => {
      const body = bodies[i]!;
      const value = encodeIndex({ count: c.count, arrivalMs: c.arrivalMs, segment: at.segment, offset: at.offset + body.offset, length: body.length });
      ops.push({ type: 'put', key: chunkKey(c.streamId, c.shardIndex, c.firstPosition), value });
      const count = Buffer.allocUnsafe(4);
      count.writeUInt32BE(c.count, 0);
      ops.push({ type: 'put', key: timeKey(c.streamId, c.shardIndex, c.arrivalMs, c.firstPosition), value: count });
      let streams = this.segmentStreams.get(at.segment);
      if (!streams) this.segmentStreams.set(at.segment, (streams = new Map()));
      streams.set(c.streamId, Math.max(streams.get(c.streamId) ?? 0, c.arrivalMs));
    });
    if (request.producer) {
      ops.push({ type: 'put', key: namedKey(TAG_PRODUCER, request.producer.producerId), value: Buffer.from(request.producer.state, 'utf8') });
    }
    return ops;
  }

  /** The checkpoint and the active segment's stream summary, written with every index batch. */
  private bookkeepingOps(): BatchOp[] {
    const ops: BatchOp[] = [];
    if (this.checkpoint) {
      ops.push({ type: 'put', key: namedKey(TAG_SETTING, CHECKPOINT), value: Buffer.from(JSON.stringify(this.checkpoint)) });
      const streams = this.segmentStreams.get(this.checkpoint.segment);
      if (streams) ops.push({ type: 'put', key: segmentKey(this.checkpoint.segment), value: Buffer.from(JSON.stringify([...streams])) });
    }
    return ops;
  }

  private enqueue(pending: Omit<PendingCommit, 'resolve' | 'reject'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...pending, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /** Writes queued commits a group at a time: one log append, then one LevelDB batch. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        const ops: BatchOp[] = [];
        const logged = group.filter((p) => p.request && p.request.chunks.length + (p.request.producer ? 1 : 0) > 0);
        if (logged.length > 0) {
          const encoded = logged.map((p) => encodeCommit(p.request!));
          const placed = await this.log.append(encoded.map((e) => e.pieces));
          logged.forEach((p, i) => {
            const bodies = p.request!.chunks.map((c, j) => ({ offset: encoded[i]!.bodyOffsets[j]!, length: c.body.byteLength }));
            ops.push(...this.indexOps(p.request!, placed[i]!, bodies));
          });
          const last = placed[placed.length - 1]!;
          this.checkpoint = { segment: last.segment, offset: last.offset + last.length };
        }
        const metadata = group.some((p) => p.ops.length > 0);
        for (const p of group) ops.push(...p.ops);
        ops.push(...this.bookkeepingOps());
        // The log is already durable; LevelDB needs its own fsync only for metadata.
        await this.db.batch(ops, { sync: this.syncWrites && metadata });
        for (const p of group) p.resolve();
      } catch (cause) {
        const error = cause instanceof RivuletError ? cause : new RivuletError('STREAMS_STORAGE', { message: `commit failed: ${String(cause)}` }, { cause });
        for (const p of group) p.reject(error);
      }
    }
    this.writing = null;
  }
}

function segmentKey(segment: number): Buffer {
  const key = Buffer.allocUnsafe(5);
  key[0] = TAG_SEGMENT;
  key.writeUInt32BE(segment, 1);
  return key;
}
