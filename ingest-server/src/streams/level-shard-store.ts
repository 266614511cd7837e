/**
 * LevelDB ShardStore (classic-level): the embedded default for one machine.
 *
 * Invariants:
 * - Keys are binary and big-endian, so one shard's chunks form one contiguous, ordered range:
 *     0x02 | streamId u32 | shardIndex u32 | firstPosition u64   -> count u32 | arrivalMs f64 | body
 *   and a time index, one entry per chunk, makes AT_TIMESTAMP and retention range operations:
 *     0x03 | streamId u32 | shardIndex u32 | arrivalMs u64 | firstPosition u64 -> count u32
 * - Group commit: commits that arrive while a write is in flight are merged into the next
 *   LevelDB batch, so concurrent requests share one fsync. Order of commit() calls is kept.
 * - A commit resolves only after its batch is written with sync (when syncWrites is on).
 */
import { ClassicLevel } from 'classic-level';
import { RivuletError } from '@rivulet/shared';
import type { CommitRequest, ShardStore, ShardTail, StoredChunk } from './store.js';

const TAG_STREAM = 0x01;
const TAG_CHUNK = 0x02;
const TAG_TIME = 0x03;
const TAG_PRODUCER = 0x04;
const TAG_SETTING = 0x05;
const CHUNK_HEADER_BYTES = 12;

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

interface PendingCommit {
  ops: BatchOp[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface LevelShardStoreOptions {
  location: string;
  /** fsync every batch before acknowledging (default true). */
  syncWrites?: boolean;
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

function decodeChunk(key: Uint8Array, value: Uint8Array): StoredChunk {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return {
    firstPosition: readU64(key, 9),
    count: view.readUInt32BE(0),
    arrivalMs: view.readDoubleBE(4),
    body: view.subarray(CHUNK_HEADER_BYTES),
  };
}

export class LevelShardStore implements ShardStore {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly syncWrites: boolean;
  private queue: PendingCommit[] = [];
  private writing: Promise<void> | null = null;

  constructor(options: LevelShardStoreOptions) {
    this.db = new ClassicLevel<Buffer, Buffer>(options.location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    this.syncWrites = options.syncWrites ?? true;
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (cause) {
      throw new RivuletError('STREAMS_STORAGE', { message: `cannot open LevelDB: ${String(cause)}` }, { cause });
    }
  }

  async close(): Promise<void> {
    await this.barrier();
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
    return this.enqueue([{ type: 'put', key: namedKey(TAG_STREAM, name), value: Buffer.from(document, 'utf8') }]);
  }

  async deleteStream(name: string, streamId: number): Promise<void> {
    await this.enqueue([{ type: 'del', key: namedKey(TAG_STREAM, name) }]);
    await this.db.clear(streamRange(TAG_CHUNK, streamId));
    await this.db.clear(streamRange(TAG_TIME, streamId));
  }

  commit(request: CommitRequest): Promise<void> {
    const ops: BatchOp[] = [];
    for (const c of request.chunks) {
      const value = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + c.body.byteLength);
      value.writeUInt32BE(c.count, 0);
      value.writeDoubleBE(c.arrivalMs, 4);
      value.set(c.body, CHUNK_HEADER_BYTES);
      ops.push({ type: 'put', key: chunkKey(c.streamId, c.shardIndex, c.firstPosition), value });
      const count = Buffer.allocUnsafe(4);
      count.writeUInt32BE(c.count, 0);
      ops.push({ type: 'put', key: timeKey(c.streamId, c.shardIndex, c.arrivalMs, c.firstPosition), value: count });
    }
    if (request.producer) {
      ops.push({ type: 'put', key: namedKey(TAG_PRODUCER, request.producer.producerId), value: Buffer.from(request.producer.state, 'utf8') });
    }
    return this.enqueue(ops);
  }

  async barrier(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async tail(streamId: number, shardIndex: number): Promise<ShardTail> {
    const range = shardRange(TAG_CHUNK, streamId, shardIndex);
    const entries = await this.db.iterator({ ...range, reverse: true, limit: 1 }).all();
    const last = entries[0];
    if (!last) return { nextPosition: null, lastArrivalMs: null };
    const chunk = decodeChunk(last[0], last[1]);
    return { nextPosition: chunk.firstPosition + chunk.count, lastArrivalMs: chunk.arrivalMs };
  }

  async readChunks(streamId: number, shardIndex: number, fromPosition: number, maxBytes: number, maxChunks: number): Promise<StoredChunk[]> {
    const range = shardRange(TAG_CHUNK, streamId, shardIndex);
    const from = chunkKey(streamId, shardIndex, fromPosition);
    // The chunk that contains fromPosition starts at or before it.
    const before = await this.db.keys({ gte: range.gte, lte: from, reverse: true, limit: 1 }).all();
    const start = before[0] ?? from;
    const out: StoredChunk[] = [];
    let bytes = 0;
    const it = this.db.iterator({ gte: start, lt: range.lt, limit: maxChunks });
    try {
      for (;;) {
        const batch = await it.nextv(Math.min(64, maxChunks));
        if (batch.length === 0) break;
        for (const [key, value] of batch) {
          const chunk = decodeChunk(key, value);
          if (chunk.firstPosition + chunk.count <= fromPosition) continue;
          out.push(chunk);
          bytes += chunk.body.byteLength;
          if (bytes >= maxBytes || out.length >= maxChunks) return out;
        }
      }
    } finally {
      await it.close();
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

  async loadProducer(producerId: string): Promise<string | null> {
    const value = await this.db.get(namedKey(TAG_PRODUCER, producerId));
    return value === undefined ? null : value.toString('utf8');
  }

  async getSetting(name: string): Promise<string | null> {
    const value = await this.db.get(namedKey(TAG_SETTING, name));
    return value === undefined ? null : value.toString('utf8');
  }

  putSetting(name: string, value: string): Promise<void> {
    return this.enqueue([{ type: 'put', key: namedKey(TAG_SETTING, name), value: Buffer.from(value, 'utf8') }]);
  }

  private enqueue(ops: BatchOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /** Writes queued commits as one batch at a time until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      const ops = group.length === 1 ? group[0]!.ops : group.flatMap((p) => p.ops);
      try {
        await this.db.batch(ops, { sync: this.syncWrites });
        for (const p of group) p.resolve();
      } catch (cause) {
        const error = new RivuletError('STREAMS_STORAGE', { message: `LevelDB batch failed: ${String(cause)}` }, { cause });
        for (const p of group) p.reject(error);
      }
    }
    this.writing = null;
  }
}
