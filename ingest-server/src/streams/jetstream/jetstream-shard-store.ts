/**
 * The replicated ShardStore: Data Streams on a NATS JetStream cluster (replicas 3 for
 * production), so an acknowledged write survives the loss of a machine, and any number of
 * rivulet-ingest processes serve the same streams (`shared`, shared-streams.ts).
 *
 * Mapping:
 * - Rivulet stream `id` -> JetStream stream `<prefix>-s<id>` (file storage, `num_replicas`,
 *   `allow_direct`, 2 min `duplicate_window`); shard `i` -> subject `<prefix>.s<id>.<i>`, listed
 *   in the stream's subjects while the shard is open. One message per chunk: the body is the
 *   encoded chunk; headers carry Rivulet-Count and Rivulet-Arrival-Ms. The chunk's first
 *   position is its sequence times POSITION_STRIDE (chunk-appender.ts); chunks copied by
 *   `rivulet migrate` (commit(), chunk-writer.ts) carry their old position in a header.
 * - Stream documents, producer states and settings: the KV-shaped stream `<prefix>-meta`
 *   (meta-store.ts), with compare-and-set revisions.
 * - Reads (chunk-reader.ts): direct gets with `next_by_subj`, confirmed with the leader where a
 *   replica may lag; binary search for a position or a time; the leader's tail for `tail`.
 * - Retention: `trimBefore` purges the shard's subject up to the first chunk that arrived at or
 *   after the cutoff (a subject-filtered purge). The service's retention sweep drives it, by
 *   the records' arrival time and the stream's current retention period, which can change at
 *   any time; JetStream's `max_age` would count from when JetStream stored the message (not the
 *   arrival time a migrated record keeps) and is per JetStream stream, so it is not used.
 *   Closed parent shards after a reshard are never `sealed` (a sealed stream stops expiring):
 *   their subject just leaves the stream's subjects, and they expire like any other shard.
 *
 * Commit semantics, and how they differ from the LevelDB store:
 * - An append resolves once JetStream acknowledged it, i.e. a majority of the stream's replicas
 *   stored it (see the README "Scaling out" for what that ack means on disk).
 * - Not atomic across chunks and producer state: chunks are appended first, the producer state
 *   after them. A crash in between loses at most the producer state; the producer's retry
 *   then re-sends the batch, which is stored again under new positions (records may repeat, as
 *   after any Kinesis retry); a failed multi-shard append may leave some shards' chunks stored.
 * - Store calls never hang: every request has a timeout, and an unreachable cluster surfaces as
 *   STREAMS_STORAGE_UNAVAILABLE (503 ServiceUnavailable) while the client reconnects forever.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { RivuletError, systemClock, type Clock } from '@rivulet/shared';
import type { Logger } from 'pino';
import type { CommitRequest, ShardStore, ShardTail, StoredChunk } from '../store.js';
import { ChunkAppender } from './chunk-appender.js';
import { ChunkReader } from './chunk-reader.js';
import { ChunkWriter } from './chunk-writer.js';
import { guarded, storageError } from './js-errors.js';
import { MetaStore } from './meta-store.js';
import { JetStreamNames } from './naming.js';
import { isStreamNotFound, JetStreamSharedStreams } from './shared-streams.js';

export interface JetStreamShardStoreOptions {
  servers: string[];
  replicas: number;
  /** Namespaces JetStream stream names and subjects (default 'rivulet'). */
  prefix?: string;
  logger?: Logger;
  clock?: Clock;
  /** Per-request timeout (default 5 s). */
  requestTimeoutMs?: number;
  /** How long a commit keeps recovering a failed publish, e.g. across a leader election (default 20 s). */
  recoverMs?: number;
}

const DUPLICATE_WINDOW_NS = 120 * 1_000_000_000;
/** A chunk stream younger than this is never swept as an orphan (see sweep). */
const ORPHAN_MIN_AGE_MS = 10 * 60_000;
/**
 * One message holds one shard's part of a PutRecords call: up to 5 MiB of data, stored as
 * base64 (~6.7 MiB), so the servers must allow 8 MiB payloads (NATS's default is 1 MiB).
 */
export const REQUIRED_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

export class JetStreamShardStore implements ShardStore {
  private readonly names: JetStreamNames;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private nc: NatsConnection | null = null;
  private jsm!: JetStreamManager;
  private js!: JetStreamClient;
  private meta!: MetaStore;
  private reader!: ChunkReader;
  private writer!: ChunkWriter;
  private sharedStreams!: JetStreamSharedStreams;
  /** Chunk streams known to exist (creation in flight or done). */
  private readonly streams = new Map<number, Promise<void>>();
  /** Publishes are issued through this chain, so they leave in commit() call order. */
  private issuing: Promise<unknown> = Promise.resolve();
  /** Commits resolve through this chain, in call order. */
  private resolving: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: JetStreamShardStoreOptions) {
    this.names = new JetStreamNames(options.prefix ?? 'rivulet');
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 5) {
      throw new RivuletError('STREAMS_STORAGE', { message: `storage.replicas must be 1 to 5, got ${options.replicas}` });
    }
  }

  async open(): Promise<void> {
    const nc = await guarded(`connecting to NATS ${this.options.servers.join(',')}`, () =>
      connect({ servers: this.options.servers, name: 'rivulet-ingest', maxReconnectAttempts: -1, reconnectTimeWait: 500, reconnectJitter: 500, timeout: this.timeoutMs }),
    );
    const maxPayload = nc.info?.max_payload ?? 0;
    if (maxPayload < REQUIRED_MAX_PAYLOAD_BYTES) {
      await nc.close();
      throw new RivuletError('STREAMS_STORAGE', {
        message: `nats-server ${nc.info?.server_name ?? ''} allows ${maxPayload}-byte messages; set "max_payload: 8MB" in every node's config (a PutRecords shard batch can be 6.7 MiB)`,
      });
    }
    this.nc = nc;
    void this.watch(nc);
    this.jsm = await guarded('opening JetStream', () => jetstreamManager(nc, { timeout: this.timeoutMs }));
    this.js = jetstream(nc, { timeout: this.timeoutMs });
    this.meta = new MetaStore(nc, this.jsm, this.js, this.names, this.options.replicas, this.timeoutMs, this.clock);
    this.reader = new ChunkReader(nc, this.jsm, this.names, this.timeoutMs);
    this.writer = new ChunkWriter(nc, this.js, this.names, {
      publishTimeoutMs: this.timeoutMs,
      recoverMs: this.options.recoverMs ?? 20_000,
      clock: this.clock,
    });
    const appender = new ChunkAppender(this.js, this.names, {
      publishTimeoutMs: this.timeoutMs,
      recoverMs: this.options.recoverMs ?? 20_000,
      clock: this.clock,
      isWritable: (streamId, shardIndex) => this.sharedStreams.isWritable(streamId, shardIndex),
    });
    this.sharedStreams = new JetStreamSharedStreams({
      jsm: this.jsm,
      meta: this.meta,
      appender,
      names: this.names,
      replicas: this.options.replicas,
      assertFits: (chunk) => this.writer.assertFits(chunk),
      forget: (streamId) => {
        this.streams.delete(streamId);
        this.reader.forgetStream(streamId);
      },
    });
    await this.meta.ensure();
  }

  get shared(): JetStreamSharedStreams {
    return this.sharedStreams;
  }

  async close(): Promise<void> {
    await this.barrier();
    const nc = this.nc;
    this.nc = null;
    if (nc) await nc.close();
  }

  loadStreams(): Promise<Map<string, string>> {
    return this.meta.list('stream');
  }

  saveStream(name: string, document: string): Promise<void> {
    return this.meta.put('stream', name, document);
  }

  async deleteStream(name: string, streamId: number): Promise<void> {
    await this.meta.put('stream', name, '');
    const jsName = this.names.chunkStream(streamId);
    await guarded(`deleting ${jsName}`, async () => {
      if (await this.exists(streamId)) await this.jsm.streams.delete(jsName);
    });
    this.streams.delete(streamId);
    this.reader.forgetStream(streamId);
  }

  commit(request: CommitRequest): Promise<void> {
    const issued = this.issuing.then(async () => {
      for (const c of request.chunks) this.writer.assertFits(c);
      for (const id of new Set(request.chunks.map((c) => c.streamId))) await this.ensureChunkStream(id);
      return request.chunks.map((c) => this.writer.publish(c));
    });
    this.issuing = issued.catch(() => undefined);
    const done = (async () => {
      await Promise.all(await issued);
      if (request.producer) await this.meta.put('producer', request.producer.producerId, request.producer.state);
    })();
    done.catch(() => undefined);
    const ordered = this.resolving.then(() => done);
    this.resolving = ordered.catch(() => undefined);
    return ordered.catch((cause: unknown) => {
      throw storageError('commit failed', cause);
    });
  }

  async barrier(): Promise<void> {
    await this.resolving;
  }

  async tail(streamId: number, shardIndex: number): Promise<ShardTail> {
    if (!(await this.exists(streamId))) return { nextPosition: null, lastArrivalMs: null };
    const last = await this.reader.last(streamId, shardIndex);
    return last === null ? { nextPosition: null, lastArrivalMs: null } : { nextPosition: last.firstPosition + last.count, lastArrivalMs: last.arrivalMs };
  }

  async readChunks(streamId: number, shardIndex: number, fromPosition: number, maxBytes: number, maxChunks: number): Promise<StoredChunk[]> {
    if (!(await this.exists(streamId))) return [];
    return this.reader.read(streamId, shardIndex, fromPosition, maxBytes, maxChunks);
  }

  async positionAtTime(streamId: number, shardIndex: number, atMs: number): Promise<number | null> {
    if (!(await this.exists(streamId))) return null;
    const found = await this.reader.search(streamId, shardIndex, (c) => c.arrivalMs >= atMs);
    return found === null ? null : found.firstPosition;
  }

  async trimBefore(streamId: number, shardIndex: number, beforeMs: number): Promise<number> {
    if (!(await this.exists(streamId))) return 0;
    // The retention sweep calls this for every shard every interval: when nothing expired, one get.
    const first = await this.reader.next(streamId, shardIndex, 1, -1);
    if (first === null || first.arrivalMs >= beforeMs) return 0;
    const keep = await this.reader.search(streamId, shardIndex, (c) => c.arrivalMs >= beforeMs);
    const filter = this.names.shardSubject(streamId, shardIndex);
    const jsName = this.names.chunkStream(streamId);
    // Purge with `seq` removes the subject's messages below it; without, all of them.
    const tail = keep === null ? await this.reader.last(streamId, shardIndex) : null;
    const response = await guarded(`trimming ${filter}`, () => this.jsm.streams.purge(jsName, keep === null ? { filter } : { filter, seq: keep.seq }));
    const below = keep !== null ? keep.firstPosition : tail === null ? 0 : tail.firstPosition + tail.count;
    this.reader.noteTrimmed(filter, below);
    return response.purged;
  }

  /**
   * Deletes chunk streams of streams that no longer exist (a delete cut short between its
   * tombstone and the chunk stream). Several processes share the store, and one may have just
   * created a stream this caller's list does not show yet, so only chunk streams older than
   * ORPHAN_MIN_AGE_MS are taken.
   */
  async sweep(cutoffByStream: ReadonlyMap<number, number>): Promise<number> {
    const names = await guarded('listing JetStream streams', async () => {
      const out: string[] = [];
      const oldEnough = this.clock.now() - ORPHAN_MIN_AGE_MS;
      for await (const info of this.jsm.streams.list()) if (Date.parse(info.created) < oldEnough) out.push(info.config.name);
      return out;
    });
    let removed = 0;
    for (const name of names) {
      const id = this.names.streamIdOf(name);
      if (id === null || cutoffByStream.has(id)) continue;
      await guarded(`deleting ${name}`, () => this.jsm.streams.delete(name));
      this.streams.delete(id);
      this.reader.forgetStream(id);
      removed++;
    }
    return removed;
  }

  loadProducer(producerId: string): Promise<string | null> {
    return this.meta.get('producer', producerId);
  }

  getSetting(name: string): Promise<string | null> {
    return this.meta.get('setting', name);
  }

  putSetting(name: string, value: string): Promise<void> {
    return this.meta.put('setting', name, value);
  }

  /** Whether stream `streamId` has a chunk stream; only positive answers are cached. */
  private async exists(streamId: number): Promise<boolean> {
    const known = this.streams.get(streamId);
    if (known) {
      await known;
      return true;
    }
    return guarded(`looking up ${this.names.chunkStream(streamId)}`, async () => {
      try {
        await this.jsm.streams.info(this.names.chunkStream(streamId));
      } catch (cause) {
        if (isStreamNotFound(cause)) return false;
        throw cause;
      }
      if (!this.streams.has(streamId)) this.streams.set(streamId, Promise.resolve());
      return true;
    });
  }

  private ensureChunkStream(streamId: number): Promise<void> {
    let ready = this.streams.get(streamId);
    if (!ready) {
      const name = this.names.chunkStream(streamId);
      ready = guarded(`creating ${name}`, async () => {
        try {
          await this.jsm.streams.info(name);
        } catch (cause) {
          if (!isStreamNotFound(cause)) throw cause;
          await this.jsm.streams.add({
            name,
            subjects: [this.names.chunkSubjects(streamId)],
            num_replicas: this.options.replicas,
            allow_direct: true,
            duplicate_window: DUPLICATE_WINDOW_NS,
          });
        }
      });
      this.streams.set(streamId, ready);
      ready.catch(() => this.streams.delete(streamId));
    }
    return ready;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.options.logger?.warn({ nats: status.type, server: 'server' in status ? status.server : undefined }, `NATS connection ${status.type}`);
      }
    }
  }
}
