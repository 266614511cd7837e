/**
 * The agent pipeline's nouns: what sources emit, what the buffer keeps, and what uploaders
 * take out. Sources feed a DurableBuffer; uploaders read per stream and acknowledge what the
 * server has stored. Owns only these shapes; the buffer, sources and uploaders implement them.
 */

/** A record as a source emits it. */
export interface SourceRecord {
  /** Target stream (a Kinesis data stream name). */
  stream: string;
  partitionKey: string;
  data: Buffer;
  /** Wall-clock time when the source saw it (ms since epoch); may jump with NTP. */
  wallMs: number;
  /** Monotonic time when the source saw it; never goes backwards within one boot. */
  monoMs: number;
  /**
   * Set when the sender may send this same message again (an MQTT QoS 1/2 publish whose
   * acknowledgement a crash lost): its client and packet id, say. A record whose key the buffer
   * stored recently with the same content is not stored again. Not kept with the record.
   */
  idempotencyKey?: string;
}

/** A record held by the buffer, with the buffer's own position for it. */
export interface BufferedRecord extends SourceRecord {
  /** Buffer-wide position: strictly increasing in append order, across restarts. */
  seq: number;
}

export type WhenFull = 'drop_oldest' | 'drop_newest' | 'block';

export interface StreamPolicy {
  /** Lower numbers upload first (alerts 0, bulk data 9). */
  priority: number;
  whenFull: WhenFull;
}

export interface BufferStats {
  records: number;
  bytes: number;
  maxBytes: number;
  /** Wall time of the oldest record still unsent, or null when empty. */
  oldestWallMs: number | null;
  /** Records dropped by whenFull policies since the buffer was created, per stream. */
  dropped: Record<string, number>;
}

export interface AppendOptions {
  /** Meta values to write in the same durable batch as the records (null deletes). */
  meta?: Readonly<Record<string, string | null>>;
}

export interface AppendResult {
  /** Records of this call refused under their stream's whenFull policy (drop_newest, or too big). */
  dropped: number;
  /** Records not stored because the buffer already held them (same idempotencyKey and content). */
  duplicates: number;
}

export interface DurableBuffer {
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * Appends records; resolves once they are durable (writes are batched, so concurrent appends
   * share one write). When the buffer is full, each stream's whenFull policy decides: drop the
   * oldest records of that stream, drop these new ones (resolving with how many were dropped),
   * or wait for room ('block').
   */
  append(records: readonly SourceRecord[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Up to `maxRecords` / `maxBytes` of the oldest unsent records of `stream` (after `afterSeq`,
   * when given), in seq order.
   */
  peek(stream: string, maxRecords: number, maxBytes: number, afterSeq?: number): Promise<BufferedRecord[]>;
  /** The newest unsent record of `stream` (live data first, for video), or null. */
  peekNewest(stream: string): Promise<BufferedRecord | null>;
  /** Streams that hold records, highest priority (lowest number) first. */
  pendingStreams(): string[];
  /** Deletes records the server has stored, with `options.meta` in the same write; durable when it resolves. */
  ack(stream: string, seqs: readonly number[], options?: AppendOptions): Promise<void>;
  stats(): BufferStats;
  /** Small durable values for uploaders (the in-flight batch of a stream, say). */
  getMeta(key: string): Promise<string | null>;
  putMeta(key: string, value: string | null): Promise<void>;
}

/** Hands records to the buffer; resolves once they are durable (or dropped by policy, or duplicates). */
export type Emit = (records: readonly SourceRecord[], options?: AppendOptions) => Promise<AppendResult>;

export interface SourceStats {
  emitted: number;
  errors: number;
  lastError: string | null;
}

/** A source component (fluent-bit style): built from its config, started with an emit sink. */
export interface Source {
  readonly name: string;
  start(emit: Emit): Promise<void>;
  stop(): Promise<void>;
  stats(): SourceStats;
}
