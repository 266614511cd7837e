/**
 * The ShardStore seam: where Data Streams keeps stream metadata, record chunks and
 * idempotent-producer state. The service owns positions, hashing, encryption and limits;
 * a store only persists opaque chunks in position order and finds them again.
 *
 * Invariants every implementation keeps (store.contract.ts checks them):
 * - commit() resolves only once everything in it is durable at the configured sync level,
 *   and a commit is atomic: all of its chunks and its producer state land, or none do.
 * - Commits become visible to readChunks in the order commit() was called.
 * - readChunks returns chunks in increasing firstPosition, starting with the chunk that
 *   contains fromPosition (if it still exists).
 * - trimBefore deletes whole chunks only, and only those whose arrival is before the cutoff.
 */

export interface ChunkWrite {
  streamId: number;
  shardIndex: number;
  /** Position of the chunk's first record; a chunk covers [firstPosition, firstPosition + count). */
  firstPosition: number;
  count: number;
  /** Arrival time of every record in the chunk (ms since epoch). */
  arrivalMs: number;
  /** The encoded (and possibly encrypted) chunk body. */
  body: Uint8Array;
}

export interface StoredChunk {
  firstPosition: number;
  count: number;
  arrivalMs: number;
  body: Uint8Array;
}

export interface ProducerWrite {
  producerId: string;
  /** Serialized producer state (last batch sequence and its response). */
  state: string;
}

export interface CommitRequest {
  chunks: ChunkWrite[];
  producer?: ProducerWrite;
}

export interface ShardTail {
  /** One past the last stored position, or null when the shard has no stored chunk. */
  nextPosition: number | null;
  lastArrivalMs: number | null;
}

export interface ShardStore {
  open(): Promise<void>;
  /** Waits for queued commits, then closes. */
  close(): Promise<void>;

  /** All persisted stream metadata documents (JSON text), by stream name. */
  loadStreams(): Promise<Map<string, string>>;
  /** Durably replaces one stream's metadata document. */
  saveStream(name: string, document: string): Promise<void>;
  /** Durably removes the metadata document and every chunk of stream `streamId`. */
  deleteStream(name: string, streamId: number): Promise<void>;

  commit(request: CommitRequest): Promise<void>;
  /** Resolves once every commit called before it has resolved. */
  barrier(): Promise<void>;
  tail(streamId: number, shardIndex: number): Promise<ShardTail>;
  readChunks(streamId: number, shardIndex: number, fromPosition: number, maxBytes: number, maxChunks: number): Promise<StoredChunk[]>;
  /** First position of the first chunk whose arrival is at or after atMs; null when none is. */
  positionAtTime(streamId: number, shardIndex: number, atMs: number): Promise<number | null>;
  /** Deletes every chunk of the shard that arrived before beforeMs; returns how many. */
  trimBefore(streamId: number, shardIndex: number, beforeMs: number): Promise<number>;
  /**
   * Frees storage no live stream needs: `cutoffByStream` maps each existing stream to its
   * retention cutoff; streams not in it are gone. Returns how many storage units were freed.
   */
  sweep(cutoffByStream: ReadonlyMap<number, number>): Promise<number>;

  loadProducer(producerId: string): Promise<string | null>;
  /** Every stored producer state, for `rivulet migrate` (stores that cannot list them leave it out). */
  listProducers?(): AsyncIterable<ProducerWrite>;
  /** Small named values that must survive restarts (the iterator secret, for example). */
  getSetting(name: string): Promise<string | null>;
  putSetting(name: string, value: string): Promise<void>;

  /** Present on stores several rivulet-ingest processes serve at once (JetStream). */
  readonly shared?: SharedStreamsStore;
}

/** A stream document as a shared store holds it; `document` null is a deleted stream. */
export interface StreamDocVersion {
  name: string;
  document: string | null;
  /** Increases with every change of any stream document (a JetStream sequence). */
  revision: number;
}

/**
 * A chunk to append where the store assigns positions. `dedupId`: appends with the same id
 * within the store's deduplication window store the chunk once and all answer its position.
 */
export type AppendChunk = Omit<ChunkWrite, 'firstPosition'> & { dedupId?: string };

/** Where an appended chunk landed, or that its shard no longer takes writes (closed by a reshard elsewhere). */
export type AppendOutcome = { firstPosition: number } | { closed: true };

/**
 * What a store shared by several processes adds. No process holds authoritative state: positions
 * come from the store, stream documents change by compare-and-set on their revision, and each
 * process follows the others' changes through `changesAfter`.
 */
export interface SharedStreamsStore {
  /**
   * Appends each chunk to its shard; positions are store-assigned, strictly increasing per shard
   * (with gaps). Chunks of one call to different shards land independently; throws only if some
   * chunk could be neither stored nor found closed.
   */
  append(chunks: AppendChunk[]): Promise<AppendOutcome[]>;
  /** Every stream document change with a revision above `revision`, oldest first. */
  changesAfter(revision: number): Promise<StreamDocVersion[]>;
  loadStream(name: string): Promise<StreamDocVersion | null>;
  /**
   * Writes a stream document only if its stored revision is still `expected` (0: no document,
   * or a deleted one, exists); returns the new revision, or null when another process got there first.
   */
  saveStreamIf(name: string, document: string, expected: number): Promise<number | null>;
  /** Deletes (tombstones) the document if still at `expected`, and the stream's records; false on a conflict. */
  deleteStreamIf(name: string, streamId: number, expected: number): Promise<boolean>;
  /** From now on only these shards of the stream accept appends; the rest are closed, atomically. */
  setWritableShards(streamId: number, shardIndexes: readonly number[]): Promise<void>;
  /** Stores `value` under `name` unless a value is there already; returns the stored value. */
  claimSetting(name: string, value: string): Promise<string>;
  /** A stream id no other process has been or will be given. */
  allocateStreamId(): Promise<number>;
}
