/**
 * The shapes MkvStreamReader reports: a document's tracks, clusters and blocks, and the events
 * of a read. Owns only these types; mkv-stream-reader.ts fills them in.
 */
import type { RivuletError } from '../errors.js';

export interface MkvTrack {
  number: number;
  /** Matroska TrackType: 1 video, 2 audio, ...; null when absent. */
  type: number | null;
  /** e.g. V_MPEG4/ISO/AVC; null when absent. */
  codecId: string | null;
}

export interface MkvBlock {
  track: number;
  /** Signed, in TimecodeScale units, relative to the cluster's Timecode. */
  relativeTimecode: number;
  keyframe: boolean;
}

export interface MkvCluster {
  /** In TimecodeScale units. */
  timecode: number;
  blocks: MkvBlock[];
}

export interface MkvDocument {
  /** The whole document as received: EBML header through the end of the Segment. */
  bytes: Buffer;
  docType: string | null;
  /** Nanoseconds per timecode unit; Matroska's default is 1,000,000 (1 ms). */
  timecodeScaleNs: number;
  tracks: MkvTrack[];
  clusters: MkvCluster[];
}

export type MkvEvent =
  /** An EBML header began: a new document is arriving. */
  | { type: 'document-start' }
  /** The document's first cluster timecode is known. */
  | { type: 'first-cluster'; timecodeMs: number }
  | { type: 'document'; document: MkvDocument }
  /** The input is not acceptable MKV; always the last event. */
  | { type: 'error'; error: RivuletError };

export interface MkvStreamReaderOptions {
  /** Defaults to VIDEO_LIMITS.maxFragmentBytes. */
  maxDocumentBytes?: number;
  /** Blocks per document; bounds the per-block bookkeeping of hostile input. Default 200,000. */
  maxBlocks?: number;
}
