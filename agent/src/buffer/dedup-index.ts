/**
 * The buffer's memory of recently stored retransmittable messages. A sender that did not get its
 * acknowledgement (the agent was killed between buffering an MQTT QoS 1 publish and sending the
 * PUBACK) sends the same message again with the same id. A record that carries an
 * idempotencyKey is stored only if that key was not stored recently with the same content.
 *
 * Owns the index and its entries' byte layout; the buffer writes the entries in the same batch
 * as the records they vouch for, so after any crash a record is on disk iff its entry is.
 *
 * An entry is the key's content digest (stream, partition key and data) and the wall time it was
 * stored. A key seen again with the same digest within `windowMs` is a duplicate; with another
 * digest it is a new message (MQTT packet ids are reused once acknowledged). At most
 * `maxEntries` are kept, oldest first out: retransmissions follow a crash within seconds, so
 * the most recent entries are the ones that matter. A wall clock stepped back keeps entries
 * longer; one stepped forward by more than the window forgets them early (a retransmission
 * then is stored twice, never lost).
 */
import { createHash } from 'node:crypto';
import type { SourceRecord } from '../pipeline/types.js';

export interface DedupOptions {
  /** How long a stored message is remembered (ms of wall time). */
  windowMs: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries: number;
}

export const DEFAULT_DEDUP: DedupOptions = { windowMs: 10 * 60_000, maxEntries: 50_000 };

const DIGEST_BYTES = 20;

/** What the index asks the buffer to write: puts of remembered entries, deletes of forgotten ones. */
export interface DedupWrites {
  put(key: string, value: Buffer): void;
  del(key: string): void;
}

export class DedupIndex {
  /** Insertion order is storage order: the first entry is the oldest. */
  private readonly entries = new Map<string, { wallMs: number; digest: string }>();

  constructor(private readonly options: DedupOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** Content digest of a record: two records with the same digest carry the same message. */
  static digest(record: SourceRecord): string {
    return createHash('sha1').update(record.stream).update('\0').update(record.partitionKey).update('\0').update(record.data).digest('base64');
  }

  /** Adds an entry read from disk at open, in key order (the index re-sorts by time once all are in). */
  load(key: string, value: Buffer): boolean {
    if (value.length !== 8 + DIGEST_BYTES) return false;
    this.entries.set(key, { wallMs: value.readDoubleBE(0), digest: value.toString('base64', 8) });
    return true;
  }

  /** Orders the loaded entries by time, then forgets what is past the window or the cap. */
  finishLoad(nowMs: number, writes: DedupWrites): void {
    const sorted = [...this.entries].sort((a, b) => a[1].wallMs - b[1].wallMs);
    this.entries.clear();
    for (const [key, entry] of sorted) this.entries.set(key, entry);
    this.prune(nowMs, writes);
  }

  /** True when `key` was stored with this digest within the window. */
  isDuplicate(key: string, digest: string, nowMs: number): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.digest === digest && nowMs - entry.wallMs <= this.options.windowMs;
  }

  /** Remembers `key` as stored now, and forgets what that pushes past the window or the cap. */
  remember(key: string, digest: string, nowMs: number, writes: DedupWrites): void {
    this.entries.delete(key);
    this.entries.set(key, { wallMs: nowMs, digest });
    const value = Buffer.allocUnsafe(8 + DIGEST_BYTES);
    value.writeDoubleBE(nowMs, 0);
    value.write(digest, 8, 'base64');
    writes.put(key, value);
    this.prune(nowMs, writes);
  }

  private prune(nowMs: number, writes: DedupWrites): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && nowMs - entry.wallMs <= this.options.windowMs) break;
      this.entries.delete(key);
      writes.del(key);
    }
  }
}
