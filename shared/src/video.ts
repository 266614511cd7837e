/**
 * The PutMedia wire contract shared by the agent's video uploader and the server's video service:
 * request headers, the acknowledgement events the response streams, and their error ids. Shapes
 * follow Kinesis Video Streams' PutMedia (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_PutMedia.html).
 *
 * Rivulet's contract for the body: one or more complete MKV documents back to back (EBML header,
 * Segment with Info, Tracks and Clusters), as ffmpeg's segment muxer writes them. Each document is
 * one fragment. Its producer timestamp is x-amzn-producer-start-timestamp plus the document's
 * first cluster timecode (RELATIVE), or that timecode itself (ABSOLUTE, in ms).
 *
 * Idempotency: a fragment whose producer timestamp (ms) equals one the stream already holds is
 * not stored again; it is acknowledged with the stored fragment's number. So an agent that lost
 * a PERSISTED acknowledgement can send the fragment again safely.
 */
import { Type, type Static } from '@sinclair/typebox';

export const VIDEO_HEADERS = {
  streamName: 'x-amzn-stream-name',
  streamArn: 'x-amzn-stream-arn',
  /** ABSOLUTE or RELATIVE. */
  fragmentTimecodeType: 'x-amzn-fragment-timecode-type',
  /** Seconds since the epoch, with a fractional part (KVS sends e.g. "1700000000.123"). */
  producerStartTimestamp: 'x-amzn-producer-start-timestamp',
} as const;

export const VIDEO_LIMITS = {
  /** Kinesis Video: a fragment lasts at most 10 s. */
  maxFragmentDurationMs: 10_000,
  /** Kinesis Video: a fragment is at most 50 MB. */
  maxFragmentBytes: 50 * 1024 * 1024,
} as const;

export const PutMediaEventType = Type.Union([
  Type.Literal('BUFFERING'),
  Type.Literal('RECEIVED'),
  Type.Literal('PERSISTED'),
  Type.Literal('ERROR'),
  Type.Literal('IDLE'),
]);

/** One acknowledgement; the response body is these, as JSON objects one after another. */
export const PutMediaAck = Type.Object({
  EventType: PutMediaEventType,
  /** The fragment's first cluster timecode, as sent (ms). Absent on IDLE. */
  FragmentTimecode: Type.Optional(Type.Number()),
  FragmentNumber: Type.Optional(Type.String()),
  ErrorId: Type.Optional(Type.Integer()),
  ErrorCode: Type.Optional(Type.String()),
});
export type PutMediaAck = Static<typeof PutMediaAck>;

/** Kinesis Video's PutMedia error ids (ErrorId in an ERROR acknowledgement). */
export const PUT_MEDIA_ERRORS = {
  STREAM_READ_ERROR: 4000,
  MAX_FRAGMENT_SIZE_REACHED: 4001,
  MAX_FRAGMENT_DURATION_REACHED: 4002,
  MAX_CONNECTION_DURATION_REACHED: 4003,
  FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS: 4004,
  MORE_THAN_ALLOWED_TRACKS_FOUND: 4005,
  INVALID_MKV_DATA: 4006,
  INVALID_PRODUCER_TIMESTAMP: 4007,
  STREAM_NOT_ACTIVE: 4008,
  INTERNAL_ERROR: 5000,
  ARCHIVAL_ERROR: 5001,
} as const;
export type PutMediaErrorCode = keyof typeof PUT_MEDIA_ERRORS;
