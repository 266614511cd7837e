/**
 * FirehoseStore: where delivery streams keep what they accepted until it is delivered.
 *
 * Invariants:
 * - An accepted record is, at every moment, either an unconsumed raw record (in an `r!` chunk,
 *   not listed in its `x!` entry) in LevelDB, or inside a batch file that a batch entry (`b!`) names, or delivered. PutRecord(Batch) resolves only
 *   after its raw records are written with sync (group commit: concurrent puts share one sync).
 * - A cut writes the batch file (fsync'd) first, then one LevelDB batch that adds the `b!` entry
 *   and deletes the chunks the batch finished (or marks what it consumed of the others).
 *   A batch of whole chunks (no processing) has no file: it owns its chunks, which stay until
 *   the batch is delivered, and recovery does not process owned chunks again. A crash between the two leaves an orphan file
 *   (removed at open) and the raw records (processed again): at-least-once, never a loss.
 * - A source checkpoint (`c!`) is written in the same LevelDB batch as the records it covers.
 * - Delivery deletes the `b!` entry (sync) before it removes the file.
 *
 * Keys: d!<name> document · r!<id>!<chunk> raw records of one put · x!<id>!<chunk> indexes of a
 * partly consumed chunk · b!<id>!<seq> batch · c!<id>!<shard> checkpoint · n!<id> next batch seq.
 * Stream ids are hex strings we generate, so they are safe in keys and file names.
 */
import { mkdir, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { RivuletError } from '@rivulet/shared';
import { readChunk, type Chunk } from './chunk.js';
import type { BatchDoc, DeliveryStreamDoc } from './model.js';

export interface RawRecord {
  /** chunk * CHUNK_SPAN + index in the chunk: one PutRecordBatch (or source read) is one chunk. */
  seq: number;
  arrivalMs: number;
  data: Buffer;
  /** Set when this stands for a whole chunk (its records' bytes back to back): the no-processing path. */
  whole?: { chunk: Chunk; count: number };
}

/** Records per chunk at most; seqs leave room for this many per chunk id. */
export const CHUNK_SPAN = 2048;
export const chunkOf = (seq: number) => Math.floor(seq / CHUNK_SPAN);

/** What a cut or a drop does to the chunks it touched: delete the finished, mark the rest. */
export interface ChunkUpdate {
  deleted: number[];
  /** chunk id -> every index of it consumed so far */
  consumed: Map<number, number[]>;
}

export interface CheckpointWrite {
  shardId: string;
  sequenceNumber: string;
}

type Op = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

const hex = (n: number) => n.toString(16).padStart(13, '0');
const ID_PATTERN = /^[0-9a-f]{8,64}$/;

/** Batch file frames: u32 length, then the record bytes; written with writev, never joined. */
function batchFileParts(records: readonly Buffer[]): Buffer[] {
  const headers = Buffer.allocUnsafe(4 * records.length);
  const parts: Buffer[] = [];
  records.forEach((r, i) => {
    headers.writeUInt32BE(r.byteLength, 4 * i);
    parts.push(headers.subarray(4 * i, 4 * i + 4), r);
  });
  return parts;
}

export function decodeBatchFile(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.byteLength) {
    if (at + 4 > buf.byteLength) throw new RivuletError('FIREHOSE_STORAGE', { message: 'truncated batch file' });
    const len = buf.readUInt32BE(at);
    if (at + 4 + len > buf.byteLength) throw new RivuletError('FIREHOSE_STORAGE', { message: 'truncated batch file' });
    out.push(buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

export class FirehoseStore {
  private readonly db: ClassicLevel<string, Buffer>;
  private readonly batchDir: string;
  private pending: { ops: Op[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    readonly location: string,
    private readonly syncWrites: boolean,
  ) {
    this.db = new ClassicLevel<string, Buffer>(join(location, 'index'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    this.batchDir = join(location, 'batches');
  }

  async open(): Promise<void> {
    await mkdir(this.batchDir, { recursive: true });
    await this.db.open();
  }

  async close(): Promise<void> {
    while (this.writing || this.pending.length > 0) await new Promise((r) => setImmediate(r));
    await this.db.close();
  }

  async loadDocs(): Promise<DeliveryStreamDoc[]> {
    const docs: DeliveryStreamDoc[] = [];
    for await (const value of this.db.values({ gt: 'd!', lt: 'd~' })) docs.push(JSON.parse(value.toString('utf8')) as DeliveryStreamDoc);
    return docs;
  }

  saveDoc(doc: DeliveryStreamDoc): Promise<void> {
    return this.write([{ type: 'put', key: `d!${doc.name}`, value: Buffer.from(JSON.stringify(doc)) }]);
  }

  /** Removes the document, then everything the stream held (records, batches, checkpoints). */
  async deleteStream(doc: DeliveryStreamDoc): Promise<void> {
    await this.write([{ type: 'del', key: `d!${doc.name}` }, { type: 'del', key: `n!${doc.id}` }]);
    for (const prefix of ['r!', 'x!', 'b!', 'c!']) await this.db.clear({ gt: `${prefix}${doc.id}!`, lt: `${prefix}${doc.id}~` });
    await rm(this.streamBatchDir(doc.id), { recursive: true, force: true });
  }

  /** Durably appends chunks of raw records (and a source checkpoint, atomically with them). */
  appendChunks(streamId: string, chunks: readonly { id: number; buffer: Buffer }[], checkpoint?: CheckpointWrite): Promise<void> {
    const ops: Op[] = chunks.map((c) => ({ type: 'put', key: `r!${streamId}!${hex(c.id)}`, value: c.buffer }));
    if (checkpoint) ops.push({ type: 'put', key: `c!${streamId}!${checkpoint.shardId}`, value: Buffer.from(checkpoint.sequenceNumber) });
    return this.write(ops);
  }

  /** Records that were dropped (produced nothing) count as consumed. */
  updateChunks(streamId: string, update: ChunkUpdate): Promise<void> {
    const ops = this.chunkOps(streamId, update);
    return ops.length === 0 ? Promise.resolve() : this.write(ops);
  }

  /** Every record not yet consumed, in seq order, and what each chunk had consumed. */
  async readChunks(streamId: string, owned: ReadonlySet<number>): Promise<{ records: RawRecord[]; consumed: Map<number, number[]>; sizes: Map<number, number> }> {
    const consumed = new Map<number, number[]>();
    for await (const [key, value] of this.db.iterator({ gt: `x!${streamId}!`, lt: `x!${streamId}~` })) {
      consumed.set(parseInt(key.slice(key.lastIndexOf('!') + 1), 16), JSON.parse(value.toString('utf8')) as number[]);
    }
    const records: RawRecord[] = [];
    const sizes = new Map<number, number>();
    for await (const [key, value] of this.db.iterator({ gt: `r!${streamId}!`, lt: `r!${streamId}~` })) {
      const id = parseInt(key.slice(key.lastIndexOf('!') + 1), 16);
      // Chunks a batch owns are delivered with it, not processed again.
      if (owned.has(id)) continue;
      const { arrivalMs, records: datas } = readChunk(value);
      sizes.set(id, datas.length);
      const done = new Set(consumed.get(id) ?? []);
      datas.forEach((data, i) => {
        if (!done.has(i)) records.push({ seq: id * CHUNK_SPAN + i, arrivalMs, data });
      });
    }
    return { records, consumed, sizes };
  }

  async checkpoints(streamId: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const [key, value] of this.db.iterator({ gt: `c!${streamId}!`, lt: `c!${streamId}~` })) out.set(key.slice(key.lastIndexOf('!') + 1), value.toString('utf8'));
    return out;
  }

  /** Writes the batch file, then atomically records the batch and drops the raw records it consumed. */
  async cutBatch(streamId: string, batch: BatchDoc, records: readonly Buffer[], chunks: ChunkUpdate): Promise<void> {
    if (!batch.chunks) await this.writeBatchFile(streamId, batch, records);
    const ops: Op[] = [
      { type: 'put', key: `b!${streamId}!${hex(batch.seq)}`, value: Buffer.from(JSON.stringify(batch)) },
      // Batch ids derive from the seq, so a seq is never reused, even after every batch is gone.
      { type: 'put', key: `n!${streamId}`, value: Buffer.from(String(batch.seq + 1)) },
    ];
    ops.push(...this.chunkOps(streamId, chunks));
    await this.write(ops);
  }

  private async writeBatchFile(streamId: string, batch: BatchDoc, records: readonly Buffer[]): Promise<void> {
    const dir = this.streamBatchDir(streamId);
    await mkdir(dir, { recursive: true });
    const file = await open(join(dir, `${hex(batch.seq)}.bin`), 'w');
    try {
      const parts = batchFileParts(records);
      // writev takes at most IOV_MAX (1024) buffers per call.
      for (let i = 0; i < parts.length; i += 1024) {
        const slice = parts.slice(i, i + 1024);
        const want = slice.reduce((n, b) => n + b.byteLength, 0);
        const { bytesWritten } = await file.writev(slice);
        if (bytesWritten !== want) throw new RivuletError('FIREHOSE_STORAGE', { message: `short write to batch ${batch.seq}: ${bytesWritten} of ${want} bytes` });
      }
      if (this.syncWrites) await file.datasync();
    } finally {
      await file.close();
    }
  }

  private chunkOps(streamId: string, update: ChunkUpdate): Op[] {
    const ops: Op[] = [];
    for (const id of update.deleted) ops.push({ type: 'del', key: `r!${streamId}!${hex(id)}` }, { type: 'del', key: `x!${streamId}!${hex(id)}` });
    for (const [id, indexes] of update.consumed) ops.push({ type: 'put', key: `x!${streamId}!${hex(id)}`, value: Buffer.from(JSON.stringify(indexes)) });
    return ops;
  }

  /** The next unused batch seq of a stream. */
  async nextBatchSeq(streamId: string): Promise<number> {
    const value = await this.db.get(`n!${streamId}`);
    return value === undefined ? 0 : Number(value.toString('utf8'));
  }

  /** A batch's records: from its batch file, or (whole chunks) each chunk's body as one item. */
  async readBatch(streamId: string, batch: BatchDoc): Promise<Buffer[]> {
    try {
      if (batch.chunks) {
        const values = await this.db.getMany(batch.chunks.map((id) => `r!${streamId}!${hex(id)}`));
        return values.map((v, i) => {
          if (!v) throw new RivuletError('FIREHOSE_STORAGE', { message: `chunk ${batch.chunks![i]} of batch ${batch.seq} is missing` });
          return readChunk(v).body;
        });
      }
      return decodeBatchFile(await readFile(join(this.streamBatchDir(streamId), `${hex(batch.seq)}.bin`)));
    } catch (cause) {
      throw new RivuletError('FIREHOSE_STORAGE', { message: `batch ${batch.seq} of ${streamId} is unreadable` }, { cause });
    }
  }

  /** Batches not yet delivered, oldest first; removes batch files no entry names (a crash mid-cut). */
  async loadBatches(streamId: string): Promise<BatchDoc[]> {
    const out: BatchDoc[] = [];
    for await (const value of this.db.values({ gt: `b!${streamId}!`, lt: `b!${streamId}~` })) out.push(JSON.parse(value.toString('utf8')) as BatchDoc);
    const known = new Set(out.map((b) => `${hex(b.seq)}.bin`));
    const files = await readdir(this.streamBatchDir(streamId)).catch(() => [] as string[]);
    for (const f of files) if (!known.has(f)) await unlink(join(this.streamBatchDir(streamId), f)).catch(() => undefined);
    return out;
  }

  /** The batch is delivered: its entry goes, with the chunks it owned, then its file. */
  async completeBatch(streamId: string, batch: BatchDoc): Promise<void> {
    const ops: Op[] = [{ type: 'del', key: `b!${streamId}!${hex(batch.seq)}` }];
    for (const id of batch.chunks ?? []) ops.push({ type: 'del', key: `r!${streamId}!${hex(id)}` }, { type: 'del', key: `x!${streamId}!${hex(id)}` });
    await this.write(ops);
    if (!batch.chunks) await unlink(join(this.streamBatchDir(streamId), `${hex(batch.seq)}.bin`)).catch(() => undefined);
  }

  private streamBatchDir(streamId: string): string {
    if (!ID_PATTERN.test(streamId)) throw new RivuletError('FIREHOSE_STORAGE', { message: `bad stream id ${streamId}` });
    return join(this.batchDir, streamId);
  }

  /** Group commit: writes queued while one is in flight go out together with one sync. */
  private write(ops: Op[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      const ops = group.length === 1 ? group[0]!.ops : group.flatMap((g) => g.ops);
      try {
        await this.db.batch(ops, { sync: this.syncWrites });
        for (const g of group) g.resolve();
      } catch (cause) {
        const err = new RivuletError('FIREHOSE_STORAGE', { message: 'LevelDB write failed' }, { cause });
        for (const g of group) g.reject(err);
      }
    }
    this.writing = false;
  }
}

