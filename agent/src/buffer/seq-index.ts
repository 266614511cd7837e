/**
 * One stream's live records in memory, oldest first: seq, byte size and wall time. Owns only
 * the bookkeeping; the records themselves stay in LevelDB.
 *
 * A buffer of small sensor records may hold millions of them on a device with little RAM, so
 * entries live in parallel typed arrays (20 bytes each) rather than in objects or a Map.
 * Seqs are pushed in increasing order, so the arrays stay sorted and a lookup is a binary
 * search. Removing from the middle (an out-of-order ack) leaves a hole (size 0) that a later
 * compaction squeezes out.
 */
import { RivuletError } from '@rivulet/shared';

export interface IndexedRecord {
  seq: number;
  bytes: number;
  wallMs: number;
}

const MIN_CAPACITY = 16;

export class SeqIndex {
  private seqs = new Float64Array(MIN_CAPACITY);
  /** 0 marks a removed entry: a stored record always has a key, so it is never 0 bytes. */
  private sizes = new Uint32Array(MIN_CAPACITY);
  private walls = new Float64Array(MIN_CAPACITY);
  private head = 0;
  private tail = 0;
  private liveCount = 0;
  private liveBytes = 0;

  /** Live records. */
  get count(): number {
    return this.liveCount;
  }

  /** Bytes of the live records. */
  get bytes(): number {
    return this.liveBytes;
  }

  push(seq: number, bytes: number, wallMs: number): void {
    if (bytes <= 0 || (this.tail > this.head && seq <= this.seqs[this.tail - 1]!)) {
      throw new RivuletError('AGENT_BUFFER', { message: `seq index: cannot push seq ${seq} (${bytes} bytes) after seq ${this.seqs[this.tail - 1]}` });
    }
    if (this.tail === this.seqs.length) this.compact(this.liveCount * 2 >= this.seqs.length ? this.seqs.length * 2 : this.seqs.length);
    this.seqs[this.tail] = seq;
    this.sizes[this.tail] = bytes;
    this.walls[this.tail] = wallMs;
    this.tail++;
    this.liveCount++;
    this.liveBytes += bytes;
  }

  /** The oldest live record, or null. */
  first(): IndexedRecord | null {
    this.skipHoles();
    return this.head < this.tail ? this.entry(this.head) : null;
  }

  /** The newest live entry, or null. */
  last(): IndexedRecord | null {
    for (let i = this.tail - 1; i >= this.head; i--) if (this.sizes[i] !== 0) return this.entry(i);
    return null;
  }

  has(seq: number): boolean {
    return this.find(seq) >= 0;
  }

  /** Removes one record; returns its bytes, or 0 when it was not there. */
  remove(seq: number): number {
    const i = this.find(seq);
    if (i < 0) return 0;
    const bytes = this.sizes[i]!;
    this.sizes[i] = 0;
    this.liveCount--;
    this.liveBytes -= bytes;
    this.skipHoles();
    const holes = this.tail - this.head - this.liveCount;
    if (holes > 1024 && holes > this.liveCount) this.compact(Math.max(MIN_CAPACITY, this.liveCount * 2));
    return bytes;
  }

  /** Removes and returns the oldest live record, or null. */
  shift(): IndexedRecord | null {
    const oldest = this.first();
    if (oldest) this.remove(oldest.seq);
    return oldest;
  }

  private entry(i: number): IndexedRecord {
    return { seq: this.seqs[i]!, bytes: this.sizes[i]!, wallMs: this.walls[i]! };
  }

  private skipHoles(): void {
    while (this.head < this.tail && this.sizes[this.head] === 0) this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  private find(seq: number): number {
    let lo = this.head;
    let hi = this.tail - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.seqs[mid]!;
      if (at === seq) return this.sizes[mid] === 0 ? -1 : mid;
      if (at < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Moves the live entries to the front of arrays of `capacity` entries. */
  private compact(capacity: number): void {
    const seqs = new Float64Array(capacity);
    const sizes = new Uint32Array(capacity);
    const walls = new Float64Array(capacity);
    let n = 0;
    for (let i = this.head; i < this.tail; i++) {
      if (this.sizes[i] === 0) continue;
      seqs[n] = this.seqs[i]!;
      sizes[n] = this.sizes[i]!;
      walls[n] = this.walls[i]!;
      n++;
    }
    this.seqs = seqs;
    this.sizes = sizes;
    this.walls = walls;
    this.head = 0;
    this.tail = n;
  }
}
