/**
 * The video service's nouns, shared by its parts: the fragment index record, and the two faces
 * of the fragment store, one for ingest (PutMedia) and one for reads (ListFragments, clips, HLS,
 * images, GetMedia). Owns only these shapes; store.ts implements them (files plus a LevelDB
 * index under <dataDir>/video).
 */

/** One stored fragment: a complete MKV document (EBML header, Segment, Tracks, Clusters). */
export interface FragmentRecord {
  streamName: string;
  /** Increasing, fixed-width decimal string: string order is arrival order within a stream. */
  fragmentNumber: string;
  /** Start of the fragment on the producer's clock (ms since the epoch). */
  producerTimestampMs: number;
  /** When the server received the fragment (ms since the epoch). */
  serverTimestampMs: number;
  durationMs: number;
  sizeBytes: number;
}

export type TimestampKind = 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';

export interface VideoStreamInfo {
  streamName: string;
  streamArn: string;
  status: 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';
  dataRetentionInHours: number;
  creationTimeMs: number;
}

/** What reads need. */
export interface FragmentReader {
  /** The stream, or null when there is none by that name (or ARN). */
  stream(nameOrArn: string): Promise<VideoStreamInfo | null>;
  /**
   * Fragments whose start lies in [fromMs, toMs] on the chosen clock, ordered by that
   * timestamp (then fragment number).
   */
  listByTime(streamName: string, kind: TimestampKind, fromMs: number, toMs: number): Promise<FragmentRecord[]>;
  /** Fragments with numbers >= `from` (all when null), in fragment-number order, at most `limit`. */
  listByNumber(streamName: string, from: string | null, limit: number): Promise<FragmentRecord[]>;
  get(streamName: string, fragmentNumber: string): Promise<FragmentRecord | null>;
  /** The fragment's MKV bytes (decrypted when encrypted at rest). */
  read(streamName: string, fragmentNumber: string): Promise<Buffer>;
}

/** What ingest needs. */
export interface FragmentWriter {
  /**
   * Stores one fragment durably and indexes it. A fragment whose producer timestamp the stream
   * already holds is not stored again: the result names the stored one and says duplicate.
   */
  append(streamName: string, fragment: { producerTimestampMs: number; serverTimestampMs: number; durationMs: number; bytes: Buffer }): Promise<{ fragmentNumber: string; duplicate: boolean }>;
}
