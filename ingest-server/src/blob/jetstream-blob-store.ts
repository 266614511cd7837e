/**
 * The replicated BlobStore: blobs on the NATS JetStream object store, bucket `<prefix>-blobs`
 * (stream `OBJ_<prefix>-blobs`, file storage, `replicas` copies: 3 for production), so an
 * acknowledged put survives the loss of a machine and every rivulet-ingest process sees it.
 *
 * - put: @nats-io/obj's put: the bytes as `chunkBytes` messages on `$O.<b>.C.<nuid>` (each
 *   acknowledged by a quorum), then the metadata on `$O.<b>.M.<name>` with a subject rollup,
 *   then a purge of the replaced version's chunks. It resolves once the metadata is stored,
 *   i.e. durable on a majority. A failed attempt is retried whole under a new nuid (its chunks are
 *   purged by the client, or by the purge that follows the next successful put of the key).
 * - get: object-reader.ts, by message gets only, no consumers. Why: @nats-io/obj's get makes a
 *   temporary ordered consumer per read, and with one node down about a third of those creations
 *   time out (measured here on nats-server 2.9.10), while the object store stream is created
 *   with allow_direct, so gets are answered by any replica, and the leader's MSG.GET is current.
 * - delete: purges the metadata subject up to the revision the leader has (a put that lands meanwhile
 *   keeps its newer metadata), then that version's chunks. No tombstone is left, so `list` is
 *   one subjects-filtered stream info. A crash between the two purges leaks the chunks (nothing
 *   points at them; they are invisible to every call).
 * - list: the stream's meta subjects (stream info with a subjects filter, from the leader),
 *   decoded to names, filtered by prefix, sorted. This store is the only writer of the bucket.
 * - Every call has a deadline: each request times out after `requestTimeoutMs`, and a call whose
 *   requests keep failing for want of a quorum (timeouts, no responders, no leader) is retried
 *   with backoff for up to `retryMs`, then rejects with BLOB_STORAGE_UNAVAILABLE (503, retryable).
 *   Refusals the server gives for good reasons are BLOB_STORAGE (500) at once.
 * Large objects (video fragments, tens of MiB) need no max_payload beyond the chunk size.
 */
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { RivuletError, systemClock, type Clock } from '@rivulet/shared';
import { storageError } from '../streams/jetstream/js-errors.js';
import { waitForLeader } from '../streams/jetstream/leader-get.js';
import { assertBlobKey, splitBlobPrefix, type BlobStore } from './blob-store.js';
import { ObjectReader } from './object-reader.js';
import { ObjectSubjects } from './object-subjects.js';

export interface JetStreamBlobStoreOptions {
  servers: string[];
  /** Copies of every blob, 1 to 5 (3 for production). */
  replicas: number;
  /** The bucket is `<prefix>-blobs` (default 'rivulet'). */
  prefix?: string;
  clock?: Clock;
  /** Per-request timeout (default 5 s). */
  requestTimeoutMs?: number;
  /** How long a call keeps retrying while no quorum answers (default 20 s). */
  retryMs?: number;
  /** Bytes per chunk message (default 128 KiB, at most the server's max_payload). */
  chunkBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 128 * 1024;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;
/** Room for the headers of a chunk message under max_payload. */
const HEADER_ROOM_BYTES = 1024;

export class JetStreamBlobStore implements BlobStore {
  private readonly subjects: ObjectSubjects;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private nc: NatsConnection | null = null;
  private jsm!: JetStreamManager;
  private os!: ObjectStore;
  private reader!: ObjectReader;
  private chunkBytes = DEFAULT_CHUNK_BYTES;

  constructor(private readonly options: JetStreamBlobStoreOptions) {
    if (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 5) {
      throw new RivuletError('BLOB_STORAGE', { message: `replicas must be 1 to 5, got ${options.replicas}` });
    }
    this.subjects = new ObjectSubjects(`${options.prefix ?? 'rivulet'}-blobs`);
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.retryMs = options.retryMs ?? 20_000;
  }

  get bucket(): string {
    return this.subjects.bucket;
  }

  async open(): Promise<void> {
    const nc = await this.retrying(`connecting to NATS ${this.options.servers.join(',')}`, () =>
      connect({ servers: this.options.servers, name: 'rivulet-blobs', maxReconnectAttempts: -1, reconnectTimeWait: 500, reconnectJitter: 500, timeout: this.timeoutMs }),
    );
    try {
      const maxPayload = nc.info?.max_payload ?? DEFAULT_CHUNK_BYTES;
      this.chunkBytes = Math.max(1, Math.min(this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES, maxPayload - HEADER_ROOM_BYTES));
      this.jsm = await this.retrying('opening JetStream', () => jetstreamManager(nc, { timeout: this.timeoutMs }));
      const js = jetstream(nc, { timeout: this.timeoutMs });
      this.os = await this.retrying(`creating object store bucket ${this.bucket}`, () =>
        new Objm(js).create(this.bucket, { replicas: this.options.replicas, storage: StorageType.File }),
      );
      await this.retrying(`waiting for a leader of ${this.subjects.stream}`, () => waitForLeader(this.jsm, this.subjects.stream, this.retryMs));
      await this.retrying(`checking ${this.subjects.stream}`, () => this.ensureDirectGets());
    } catch (err) {
      await nc.close();
      throw err;
    }
    this.nc = nc;
    this.reader = new ObjectReader(nc, this.jsm, this.subjects, {
      timeoutMs: this.timeoutMs,
      leaderPatienceMs: Math.min(1_000, this.timeoutMs),
      clock: this.clock,
    });
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    if (nc) await nc.close();
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    assertBlobKey(key);
    this.connected();
    await this.retrying(`putting ${key}`, () => this.os.putBlob({ name: key, options: { max_chunk_size: this.chunkBytes } }, bytes, { timeout: this.timeoutMs }));
  }

  async get(key: string): Promise<Buffer | null> {
    assertBlobKey(key);
    this.connected();
    return this.retrying(`getting ${key}`, () => this.reader.read(key));
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    this.connected();
    await this.retrying(`deleting ${key}`, async () => {
      // From the leader only: a lagging replica's older revision would leave a newer put's object.
      const found = await this.reader.leaderMeta(key);
      if (found === null) return;
      // Up to and including the revision read: a newer put's metadata stays.
      await this.jsm.streams.purge(this.subjects.stream, { filter: this.subjects.metaSubject(key), seq: found.seq + 1 });
      await this.jsm.streams.purge(this.subjects.stream, { filter: this.subjects.chunkSubject(found.meta.nuid) });
    });
  }

  async list(prefix: string): Promise<string[]> {
    splitBlobPrefix(prefix);
    this.connected();
    const info = await this.retrying(`listing ${prefix || 'all keys'}`, () => this.jsm.streams.info(this.subjects.stream, { subjects_filter: this.subjects.allMeta }));
    const keys: string[] = [];
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const name = this.subjects.nameOf(subject);
      if (name !== null && name.startsWith(prefix)) keys.push(name);
    }
    return keys.sort();
  }

  /** Buckets made by other clients may lack allow_direct, which reads rely on. */
  private async ensureDirectGets(): Promise<void> {
    const info = await this.jsm.streams.info(this.subjects.stream);
    if (info.config.allow_direct !== true) await this.jsm.streams.update(this.subjects.stream, { ...info.config, allow_direct: true });
  }

  private connected(): void {
    if (this.nc === null) throw new RivuletError('BLOB_STORAGE', { message: `blob store ${this.bucket} is not open` });
  }

  /** Runs `op`, retrying what a missing quorum makes fail until `retryMs` has passed. */
  private async retrying<T>(what: string, op: () => Promise<T>): Promise<T> {
    const deadline = this.clock.monotonicMs() + this.retryMs;
    for (let attempt = 0; ; attempt++) {
      let error: RivuletError;
      try {
        return await op();
      } catch (cause) {
        error = blobError(what, cause);
      }
      const backoffMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (error.code !== 'BLOB_STORAGE_UNAVAILABLE' || this.clock.monotonicMs() + backoffMs >= deadline) throw error;
      await new Promise<void>((resolve) => this.clock.setTimer(resolve, backoffMs));
    }
  }
}

/** A failure as a BLOB_* RivuletError: JetStream's classification (js-errors.ts), blob codes. */
function blobError(what: string, cause: unknown): RivuletError {
  if (cause instanceof RivuletError) {
    if (cause.code.startsWith('BLOB_')) return cause;
  }
  const classified = storageError(what, cause);
  const code = classified.code === 'STREAMS_STORAGE_UNAVAILABLE' ? 'BLOB_STORAGE_UNAVAILABLE' : 'BLOB_STORAGE';
  return new RivuletError(code, { message: classified.params.message ?? classified.message }, { cause });
}
