/**
 * The segment log: append-only files that hold every commit's chunk bodies and producer state.
 * It is the write-ahead log of the LevelDB ShardStore, so record payloads are written once, in
 * large sequential appends with one fdatasync per group commit, and LevelDB holds only pointers.
 *
 * Invariants:
 * - A record is [magic u32 | payloadLength u32 | crc32(payload) u32 | payload]; append() resolves
 *   only after the bytes are written and fdatasync'd.
 * - Records are never rewritten. A torn tail (power cut mid-append) is detected by length or CRC
 *   on recovery and cut off at the last whole record, never discarding whole segments.
 * - Segments roll at segmentBytes; a segment is deleted only when the store says nothing in it
 *   is live any more, and never while it is the active one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { RivuletError } from '@rivulet/shared';

const MAGIC = 0x52564c31; // "RVL1"
const RECORD_HEADER_BYTES = 12;
/** Reads of old records go through a small cache of aligned blocks (see SegmentLog.block). */
const BLOCK_BYTES = 1024 * 1024;
const MAX_CACHED_BLOCKS = 16;
/** Block cache keys are segment * this + block index (a segment has far fewer blocks). */
const BLOCKS_PER_SEGMENT_KEY = 1_000_000;

export interface LogPosition {
  segment: number;
  offset: number;
}

/** Where one appended payload landed: the payload starts at `offset` in `segment`. */
export interface AppendedRecord extends LogPosition {
  length: number;
}

export interface RecoveredRecord extends AppendedRecord {
  payload: Buffer;
}

function segmentName(id: number): string {
  return `${String(id).padStart(12, '0')}.log`;
}

export class SegmentLog {
  private active: { id: number; handle: FileHandle; size: number } | null = null;
  private readonly readers = new Map<number, FileHandle>();
  /** Aligned blocks of committed bytes, least recently used first. */
  private readonly blocks = new Map<number, Buffer>();
  /** Set when a failed append could not be undone: no further append is safe until a restart. */
  private broken: RivuletError | null = null;

  constructor(
    private readonly dir: string,
    private readonly segmentBytes = 64 * 1024 * 1024,
    private readonly syncWrites = true,
  ) {}

  /** Segment ids present on disk, ascending. */
  segments(): number[] {
    mkdirSync(this.dir, { recursive: true });
    return readdirSync(this.dir)
      .map((name) => /^(\d{12})\.log$/.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  activeSegment(): number | null {
    return this.active?.id ?? null;
  }

  /**
   * Reads every whole record from `from` onwards, truncating a torn tail, and opens the last
   * segment for appending. Call once, before append().
   */
  async recover(from: LogPosition | null): Promise<RecoveredRecord[]> {
    const ids = this.segments().filter((id) => from === null || id >= from.segment);
    const out: RecoveredRecord[] = [];
    for (const id of ids) {
      const handle = await open(join(this.dir, segmentName(id)), 'r+');
      try {
        const { size } = await handle.stat();
        const data = Buffer.allocUnsafe(size);
        await handle.read(data, 0, size, 0);
        let offset = from !== null && id === from.segment ? from.offset : 0;
        while (offset + RECORD_HEADER_BYTES <= size) {
          const length = data.readUInt32BE(offset + 4);
          const end = offset + RECORD_HEADER_BYTES + length;
          if (data.readUInt32BE(offset) !== MAGIC || end > size) break;
          const payload = data.subarray(offset + RECORD_HEADER_BYTES, end);
          if (crc32(payload) !== data.readUInt32BE(offset + 8)) break;
          out.push({ segment: id, offset: offset + RECORD_HEADER_BYTES, length, payload });
          offset = end;
        }
        if (offset < size && id === ids[ids.length - 1]) {
          // A torn tail: cut it off so new appends follow the last whole record.
          await handle.truncate(offset);
          await handle.sync();
        }
      } finally {
        await handle.close();
      }
    }
    const last = this.segments().at(-1);
    await this.openActive(last ?? 1);
    return out;
  }

  /**
   * Appends payloads (each given as pieces, written back to back) as one write and one
   * fdatasync; returns where each payload landed.
   */
  async append(payloads: readonly (readonly Uint8Array[])[]): Promise<AppendedRecord[]> {
    if (!this.active) throw new RivuletError('STREAMS_STORAGE', { message: 'segment log is not open' });
    if (this.broken) throw this.broken;
    if (this.active.size >= this.segmentBytes) await this.openActive(this.active.id + 1);
    const active = this.active;
    const buffers: Uint8Array[] = [];
    const placed: AppendedRecord[] = [];
    let offset = active.size;
    for (const pieces of payloads) {
      let length = 0;
      let crc = 0;
      for (const piece of pieces) {
        length += piece.byteLength;
        crc = crc32(piece, crc);
      }
      const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
      header.writeUInt32BE(MAGIC, 0);
      header.writeUInt32BE(length, 4);
      header.writeUInt32BE(crc, 8);
      buffers.push(header, ...pieces);
      placed.push({ segment: active.id, offset: offset + RECORD_HEADER_BYTES, length });
      offset += RECORD_HEADER_BYTES + length;
    }
    try {
      let written = 0;
      const total = offset - active.size;
      while (written < total) {
        const rest = written === 0 ? buffers : [Buffer.concat(buffers).subarray(written)];
        const { bytesWritten } = await active.handle.writev(rest as NodeJS.ArrayBufferView[], active.size + written);
        written += bytesWritten;
      }
      if (this.syncWrites) await active.handle.datasync();
    } catch (cause) {
      // The file is opened for appending, so a partial record must not stay at the end: the next
      // append would land after it while its offsets assume it is not there.
      try {
        await active.handle.truncate(active.size);
      } catch (truncateError) {
        this.broken = new RivuletError('STREAMS_STORAGE', { message: `segment ${active.id} could not be repaired after a failed append` }, { cause: truncateError });
      }
      throw new RivuletError('STREAMS_STORAGE', { message: `segment append failed: ${String(cause)}` }, { cause });
    }
    active.size = offset;
    return placed;
  }

  /**
   * Reads `length` bytes at `offset` of `segment`. The result may share memory with the block
   * cache: callers must not write to it.
   */
  async read(segment: number, offset: number, length: number): Promise<Buffer> {
    const index = Math.floor(offset / BLOCK_BYTES);
    if (length > 0 && Math.floor((offset + length - 1) / BLOCK_BYTES) === index) {
      const block = await this.block(segment, index);
      const at = offset - index * BLOCK_BYTES;
      if (block && at + length <= block.length) return block.subarray(at, at + length);
    }
    const handle = await this.handleFor(segment);
    const out = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(out, 0, length, offset);
    if (bytesRead !== length) throw new RivuletError('STREAMS_STORAGE', { message: `short read in segment ${segment} at ${offset}` });
    return out;
  }

  /**
   * One aligned block of a segment, from the cache or read whole. Readers of old records go
   * through the log in order, often several shards over the same stretch: one large read
   * serves them all instead of one small read per chunk. Only bytes already committed are
   * cached (below the active segment's size), and nothing committed is ever rewritten, so a
   * cached block never goes stale.
   */
  private async block(segment: number, index: number): Promise<Buffer | null> {
    const key = segment * BLOCKS_PER_SEGMENT_KEY + index;
    const hit = this.blocks.get(key);
    if (hit) {
      this.blocks.delete(key);
      this.blocks.set(key, hit);
      return hit;
    }
    const start = index * BLOCK_BYTES;
    if (this.active?.id === segment && start + BLOCK_BYTES > this.active.size) return null;
    if (this.active && segment > this.active.id) return null;
    const handle = await this.handleFor(segment);
    const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, BLOCK_BYTES, start);
    // Only a sealed segment's last block is short.
    const block = bytesRead === BLOCK_BYTES ? buffer : buffer.subarray(0, bytesRead);
    this.blocks.set(key, block);
    if (this.blocks.size > MAX_CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    return block;
  }

  private async handleFor(segment: number): Promise<FileHandle> {
    let handle = this.active?.id === segment ? this.active.handle : this.readers.get(segment);
    if (!handle) {
      handle = await open(join(this.dir, segmentName(segment)), 'r');
      this.readers.set(segment, handle);
      if (this.readers.size > 64) {
        const [oldest, fh] = this.readers.entries().next().value as [number, FileHandle];
        this.readers.delete(oldest);
        void fh.close();
      }
    }
    return handle;
  }

  /** Deletes a sealed segment the store no longer references. */
  async remove(segment: number): Promise<void> {
    if (this.active?.id === segment) return;
    for (const key of [...this.blocks.keys()]) if (Math.floor(key / BLOCKS_PER_SEGMENT_KEY) === segment) this.blocks.delete(key);
    const reader = this.readers.get(segment);
    this.readers.delete(segment);
    await reader?.close();
    try {
      unlinkSync(join(this.dir, segmentName(segment)));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
    }
  }

  async close(): Promise<void> {
    for (const handle of this.readers.values()) await handle.close();
    this.readers.clear();
    await this.active?.handle.close();
    this.active = null;
  }

  private async openActive(id: number): Promise<void> {
    const previous = this.active;
    const path = join(this.dir, segmentName(id));
    const handle = await open(path, 'a+');
    const { size } = await handle.stat();
    // A new file's directory entry must be durable too, or a power cut could lose the segment.
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.active = { id, handle, size };
    if (previous) await previous.handle.close();
  }
}
