/**
 * The agent's DurableBuffer on LevelDB (classic-level): records wait here, per stream, until an
 * uploader has them stored by the server. Owns admission (size bound, whenFull policies), the
 * write path and recovery; it does not upload, retry or decide stream names (uploaders and the
 * pipeline do). Key and value layout: record-codec.ts.
 *
 * Invariants:
 * - Acknowledged means: an append() (or ack(), putMeta()) resolves only after the LevelDB batch
 *   holding its operations has been written, with sync when syncWrites (the default) is on, so
 *   it survives kill -9 and, with sync, power loss. Acks and meta writes always sync: a lost ack
 *   re-uploads a record, a lost meta value can upload a batch twice.
 * - Group commit: every mutation is decided in memory, in call order, and queued into the open
 *   batch. The open batch is written flushIntervalMs after its first operation, or as soon as
 *   the write in flight ends; one batch is one LevelDB write, so one SD-card sync.
 * - Batches are atomic and written in order, so the disk always holds a prefix of the mutation
 *   sequence. A torn tail (power lost mid-write) is LevelDB dropping an incomplete final batch
 *   from its log at open; earlier batches, and so every acknowledged operation, are intact.
 *   Nothing else is ever truncated: a record that no longer decodes is deleted alone, and
 *   counted as dropped.
 * - seq is buffer-wide and strictly increasing across restarts, even when a power cut takes back
 *   an unsynced batch whose records were already peeked: seqs are handed out only below a
 *   ceiling that is stored, synced, before any record using it is visible (in the same batch);
 *   open() starts at the stored ceiling and reserves the next SEQ_RESERVE seqs. A restart thus
 *   leaves a gap in seqs, which promises order, not density. Order is seq order, never wall
 *   time, so a wall clock stepped by NTP changes nothing.
 * - The bound: the key and value bytes of the records held (including those queued for the
 *   next batch) never exceed maxBytes. Room freed by ack or drop is deleted in the same batch
 *   as, or an earlier batch than, the records that take it, so the disk never exceeds it either.
 *   Meta values and drop counters are small and not counted.
 * - peek() reads LevelDB, so it returns only durable records (it first waits for the appends
 *   made before it), and checks each against the in-memory index, so it never returns one that
 *   is acked or dropped but not yet deleted on disk. stats() counts accepted records, durable
 *   or about to be.
 * - Dedup: a record with an idempotencyKey that the buffer stored recently with the same content
 *   is skipped (dedup-index.ts). The entry is written in the same batch as the record, and an
 *   append's meta values in the batch that completes it, so a crash never keeps one without the
 *   other.
 * - After a failed write the in-memory state no longer matches the disk, so the buffer refuses
 *   every later call with that error; reopening it rebuilds the state from disk.
 */
import { ClassicLevel } from 'classic-level';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { AppendOptions, AppendResult, BufferedRecord, BufferStats, DurableBuffer, SourceRecord, StreamPolicy } from '../pipeline/types.js';
import { DedupIndex, DEFAULT_DEDUP, type DedupOptions, type DedupWrites } from './dedup-index.js';
import {
  ALL_DEDUP, ALL_DROPPED, ALL_META, ALL_RECORDS, decodeRecordKey, decodeRecordValue, decodeU64, dedupKey, droppedKey, encodeRecordValue, encodeU64,
  keyName, metaKey, recordKey, recordKeyBytes, streamRange, systemKey,
} from './record-codec.js';
import { SeqIndex } from './seq-index.js';
import { GroupCommit } from './group-commit.js';

export interface LevelBufferOptions {
  /** The LevelDB directory. */
  location: string;
  /** Key plus value bytes of all records held. */
  maxBytes: number;
  policies: Record<string, StreamPolicy>;
  /** For streams not named in `policies`. */
  defaultPolicy: StreamPolicy;
  clock: Clock;
  /** How long the first append waits for others to share its write (default 20; 0: the same tick). */
  flushIntervalMs?: number;
  /** Sync appends to the device before acknowledging them (default true). */
  syncWrites?: boolean;
  /** How long, and how many, idempotency keys are remembered (default 10 min, 50,000). */
  dedup?: DedupOptions;
}

/** No seq at or above the stored ceiling has been handed out. */
const SEQ_CEILING = systemKey('seq-ceiling');
/** Seqs reserved by one synced ceiling write: a restart skips at most this many. */
const SEQ_RESERVE = 1_000_000;
const SCAN_CHUNK = 1000;

interface AppendJob {
  records: readonly SourceRecord[];
  values: Buffer[];
  meta: Readonly<Record<string, string | null>> | undefined;
  /** The next record to admit: a 'block' job waits part-way through. */
  next: number;
  dropped: number;
  duplicates: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export class LevelBuffer implements DurableBuffer {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly syncWrites: boolean;
  private readonly commits: GroupCommit;
  private readonly streams = new Map<string, SeqIndex>();
  private readonly dropped = new Map<string, number>();
  private readonly meta = new Map<string, string>();
  private readonly dedup: DedupIndex;
  /** Where the dedup index writes: into the open batch. */
  private readonly dedupWrites: DedupWrites;
  /** Appends waiting for room ('block'), in arrival order. */
  private readonly waiting: AppendJob[] = [];
  private usedBytes = 0;
  private nextSeq = 1;
  private seqCeiling = 0;
  private state: 'new' | 'open' | 'closing' | 'closed' = 'new';
  private failure: RivuletError | null = null;

  constructor(private readonly options: LevelBufferOptions) {
    this.db = new ClassicLevel<Buffer, Buffer>(options.location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    this.syncWrites = options.syncWrites ?? true;
    this.dedup = new DedupIndex(options.dedup ?? DEFAULT_DEDUP);
    this.dedupWrites = {
      put: (key, value) => this.commits.batch.put(dedupKey(key), value, this.syncWrites),
      del: (key) => this.commits.batch.del(dedupKey(key), false),
    };
    this.commits = new GroupCommit({
      write: (operations, sync) => this.db.batch(operations, { sync }),
      clock: options.clock,
      flushIntervalMs: options.flushIntervalMs ?? 20,
      onFailure: (error) => {
        this.failure = error;
        for (const job of this.waiting.splice(0)) job.reject(error);
      },
    });
  }

  /** LevelDB batches written, open()'s own included: how often the SD card was written to. */
  get batchesWritten(): number {
    return this.commits.batchesWritten;
  }

  async open(): Promise<void> {
    if (this.state !== 'new') throw new RivuletError('AGENT_BUFFER', { message: 'a LevelBuffer opens once; make a new one to reopen' });
    try {
      await this.db.open();
    } catch (cause) {
      const locked = (cause as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED';
      const message = locked ? `${this.options.location} is in use by another rivulet-agent process` : `cannot open LevelDB in ${this.options.location}: ${String(cause)}`;
      throw new RivuletError('AGENT_BUFFER', { message }, { cause });
    }
    try {
      for (const [key, value] of await this.db.iterator(ALL_DROPPED).all()) this.dropped.set(keyName(key), decodeU64(value));
      for (const [key, value] of await this.db.iterator(ALL_META).all()) this.meta.set(keyName(key), value.toString('utf8'));
      for (const [key, value] of await this.db.iterator(ALL_DEDUP).all()) {
        if (!this.dedup.load(keyName(key), Buffer.from(value))) this.commits.batch.del(key, false);
      }
      this.dedup.finishLoad(this.options.clock.now(), this.dedupWrites);
      const savedCeiling = await this.db.get(SEQ_CEILING);
      let maxSeq = 0;
      const iterator = this.db.iterator(ALL_RECORDS);
      try {
        for (let entries = await iterator.nextv(SCAN_CHUNK); entries.length > 0; entries = await iterator.nextv(SCAN_CHUNK)) {
          for (const [key, value] of entries) maxSeq = Math.max(maxSeq, this.recover(key, value));
        }
      } finally {
        await iterator.close();
      }
      // Seqs below the ceiling may have been seen in a batch that a power cut then took back.
      this.nextSeq = Math.max(maxSeq + 1, savedCeiling === undefined ? 1 : decodeU64(savedCeiling));
      this.reserveSeqs();
      this.state = 'open';
      await this.commits.drain();
      if (this.failure) throw this.failure;
    } catch (cause) {
      this.state = 'closed';
      await this.db.close();
      throw cause instanceof RivuletError ? cause : new RivuletError('AGENT_BUFFER', { message: `cannot read the buffer in ${this.options.location}: ${String(cause)}` }, { cause });
    }
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    for (const job of this.waiting.splice(0)) job.reject(new RivuletError('AGENT_BUFFER', { message: 'the buffer closed while an append waited for room' }));
    await this.commits.drain();
    this.state = 'closed';
    await this.db.close();
  }

  append(records: readonly SourceRecord[], options: AppendOptions = {}): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.assertOpen();
      for (const r of records) recordKeyBytes(r.stream);
      const job: AppendJob = { records, values: records.map(encodeRecordValue), meta: options.meta, next: 0, dropped: 0, duplicates: 0, resolve, reject };
      // Records of a 'block' stream queue behind earlier waiters, so that no stream reorders.
      const behind = this.waiting.length > 0 && records.some((r) => this.policyOf(r.stream).whenFull === 'block');
      if (!behind && this.admit(job)) this.settle(job);
      else this.waiting.push(job);
    });
  }

  async peek(stream: string, maxRecords: number, maxBytes: number, afterSeq = 0): Promise<BufferedRecord[]> {
    this.assertOpen();
    // Let what was accepted before this call become durable (at most one flush), so a peek
    // sees every append made before it, as stats() already counts them.
    await this.commits.barrier();
    const first = this.streams.get(stream)?.first();
    if (!first || maxRecords <= 0) return [];
    const out: BufferedRecord[] = [];
    let bytes = 0;
    const iterator = this.db.iterator(streamRange(stream, Math.max(first.seq, afterSeq + 1)));
    try {
      scan: for (let entries = await iterator.nextv(Math.min(maxRecords, SCAN_CHUNK)); entries.length > 0; entries = await iterator.nextv(SCAN_CHUNK)) {
        for (const [key, value] of entries) {
          const { seq } = decodeRecordKey(key);
          if (!this.streams.get(stream)?.has(seq)) continue;
          const record = decodeRecordValue(value);
          // Kinesis counts the partition key and the data towards a request's size.
          const size = record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
          // Always at least one record, or a record larger than maxBytes would stall its stream.
          if (out.length > 0 && bytes + size > maxBytes) break scan;
          out.push({ stream, seq, ...record });
          bytes += size;
          if (out.length >= maxRecords) break scan;
        }
      }
    } finally {
      await iterator.close();
    }
    return out;
  }

  async peekNewest(stream: string): Promise<BufferedRecord | null> {
    this.assertOpen();
    await this.commits.barrier();
    const last = this.streams.get(stream)?.last();
    if (!last) return null;
    const value = await this.db.get(recordKey(stream, last.seq));
    // Acked or evicted while we read: the caller asks again.
    if (value === undefined || !this.streams.get(stream)?.has(last.seq)) return null;
    return { stream, seq: last.seq, ...decodeRecordValue(value) };
  }

  pendingStreams(): string[] {
    const names = [...this.streams].filter(([, index]) => index.count > 0).map(([name]) => name);
    return names.sort((a, b) => this.policyOf(a).priority - this.policyOf(b).priority || (a < b ? -1 : a > b ? 1 : 0));
  }

  async ack(stream: string, seqs: readonly number[], options: AppendOptions = {}): Promise<void> {
    this.assertOpen();
    for (const [key, value] of Object.entries(options.meta ?? {})) this.queueMeta(key, value);
    const index = this.streams.get(stream);
    for (const seq of seqs) {
      const bytes = index?.remove(seq) ?? 0;
      if (bytes === 0) continue;
      this.usedBytes -= bytes;
      this.commits.batch.del(recordKey(stream, seq), true);
    }
    if (index?.count === 0) this.streams.delete(stream);
    this.admitWaiting();
    // The uploader waits on this alone; nothing is gained by holding the write for others.
    return this.commits.urgentBarrier();
  }

  stats(): BufferStats {
    let records = 0;
    let oldest: { seq: number; wallMs: number } | null = null;
    for (const index of this.streams.values()) {
      records += index.count;
      const first = index.first();
      if (first && (!oldest || first.seq < oldest.seq)) oldest = first;
    }
    return { records, bytes: this.usedBytes, maxBytes: this.options.maxBytes, oldestWallMs: oldest?.wallMs ?? null, dropped: Object.fromEntries(this.dropped) };
  }

  async getMeta(key: string): Promise<string | null> {
    this.assertOpen();
    return this.meta.get(key) ?? null;
  }

  async putMeta(key: string, value: string | null): Promise<void> {
    this.assertOpen();
    this.queueMeta(key, value);
    return this.commits.urgentBarrier();
  }

  /** Sets a meta value in memory and queues its (synced) write into the open batch. */
  private queueMeta(key: string, value: string | null): void {
    if (value === null) {
      this.meta.delete(key);
      this.commits.batch.del(metaKey(key), true);
    } else {
      this.meta.set(key, value);
      this.commits.batch.put(metaKey(key), Buffer.from(value, 'utf8'), true);
    }
  }

  private policyOf(stream: string): StreamPolicy {
    const { policies, defaultPolicy } = this.options;
    return Object.hasOwn(policies, stream) ? policies[stream]! : defaultPolicy;
  }

  private assertOpen(): void {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new RivuletError('AGENT_BUFFER', { message: `the buffer is ${this.state === 'new' ? 'not open yet' : 'closed'}` });
  }

  /** Adds one scanned record to the in-memory state at open; returns its seq (0 if removed). */
  private recover(key: Buffer, value: Buffer): number {
    let decoded: { stream: string; seq: number } | null = null;
    try {
      decoded = decodeRecordKey(key);
      const { wallMs } = decodeRecordValue(value);
      let index = this.streams.get(decoded.stream);
      if (!index) this.streams.set(decoded.stream, (index = new SeqIndex()));
      index.push(decoded.seq, key.length + value.length, wallMs);
      this.usedBytes += key.length + value.length;
      return decoded.seq;
    } catch {
      // Unreadable bytes cannot be uploaded; keep the rest of the buffer and count the loss.
      this.commits.batch.del(key, true);
      if (decoded) this.countDrops(decoded.stream, 1);
      return decoded?.seq ?? 0;
    }
  }

  /** Admits the job's records in order; false when one must wait for room ('block'). */
  private admit(job: AppendJob): boolean {
    const { maxBytes } = this.options;
    for (; job.next < job.records.length; job.next++) {
      const record = job.records[job.next]!;
      const value = job.values[job.next]!;
      const bytes = recordKeyBytes(record.stream) + value.length;
      const policy = this.policyOf(record.stream);
      const digest = record.idempotencyKey === undefined ? null : DedupIndex.digest(record);
      if (digest !== null && this.dedup.isDuplicate(record.idempotencyKey!, digest, this.options.clock.now())) {
        job.duplicates++;
        continue;
      }
      const fits = this.makeRoom(record.stream, bytes, policy);
      // A record larger than the whole buffer would wait forever, so it is dropped instead.
      if (!fits && policy.whenFull === 'block' && bytes <= maxBytes) return false;
      // Dropped or stored, the message has been handled: a retransmission of it is a duplicate.
      if (digest !== null) this.dedup.remember(record.idempotencyKey!, digest, this.options.clock.now(), this.dedupWrites);
      if (!fits) {
        this.countDrops(record.stream, 1);
        job.dropped++;
        continue;
      }
      const seq = this.nextSeq++;
      if (seq >= this.seqCeiling) this.reserveSeqs();
      let index = this.streams.get(record.stream);
      if (!index) this.streams.set(record.stream, (index = new SeqIndex()));
      index.push(seq, bytes, record.wallMs);
      this.usedBytes += bytes;
      this.commits.batch.put(recordKey(record.stream, seq), value, this.syncWrites);
    }
    return true;
  }

  /** True when `bytes` more fit, after dropping the stream's oldest records if its policy says so. */
  private makeRoom(stream: string, bytes: number, policy: StreamPolicy): boolean {
    const { maxBytes } = this.options;
    if (this.usedBytes + bytes <= maxBytes) return true;
    const index = this.streams.get(stream);
    if (policy.whenFull !== 'drop_oldest' || bytes > maxBytes || !index || index.bytes + (maxBytes - this.usedBytes) < bytes) return false;
    let evicted = 0;
    while (this.usedBytes + bytes > maxBytes) {
      const oldest = index.shift()!;
      this.usedBytes -= oldest.bytes;
      this.commits.batch.del(recordKey(stream, oldest.seq), this.syncWrites);
      evicted++;
    }
    this.countDrops(stream, evicted);
    return true;
  }

  /** Raises the ceiling past the next seq, in the open batch, synced whatever syncWrites says. */
  private reserveSeqs(): void {
    this.seqCeiling = this.nextSeq + SEQ_RESERVE;
    this.commits.batch.set(SEQ_CEILING, encodeU64(this.seqCeiling), true);
  }

  private countDrops(stream: string, count: number): void {
    const total = (this.dropped.get(stream) ?? 0) + count;
    this.dropped.set(stream, total);
    this.commits.batch.set(droppedKey(stream), encodeU64(total), this.syncWrites);
  }

  /** Admits waiting appends, oldest first, until one still finds no room. */
  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.admit(this.waiting[0]!)) this.settle(this.waiting.shift()!);
  }

  /** Queues a fully admitted append's meta values and resolves it once everything queued so far is durable. */
  private settle(job: AppendJob): void {
    for (const [key, value] of Object.entries(job.meta ?? {})) this.queueMeta(key, value);
    this.commits.barrier().then(() => job.resolve({ dropped: job.dropped, duplicates: job.duplicates }), job.reject);
  }
}
