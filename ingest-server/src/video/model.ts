/**
 * The persisted shape of a video stream (one JSON document per stream in the video index) and
 * the naming rules around it: stream names, ARNs and retention bounds. Schema first: the
 * document type is Static<typeof VideoStreamDoc>. Owns no I/O.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { VideoStreamInfo } from './fragment-types.js';

/** Kinesis Video: a stream name is 1 to 256 of [a-zA-Z0-9_.-]. */
export const STREAM_NAME_PATTERN = '^[a-zA-Z0-9_.-]+$';
export const STREAM_NAME_MAX = 256;
const STREAM_NAME = new RegExp(STREAM_NAME_PATTERN);

export const RETENTION = {
  /** Rivulet: a stream created without DataRetentionInHours keeps a day of fragments. */
  defaultHours: 24,
  /** Rivulet: fragments are kept at most 7 days (AWS allows more). */
  maxHours: 168,
} as const;

export const VideoStreamDoc = Type.Object({
  /** The internal id: the only stream-derived path component on disk, never the name. */
  id: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  arn: Type.String(),
  /** Changes on every update; UpdateDataRetention and DeleteStream may require it. */
  version: Type.String(),
  status: Type.Union([Type.Literal('CREATING'), Type.Literal('ACTIVE'), Type.Literal('UPDATING'), Type.Literal('DELETING')]),
  dataRetentionInHours: Type.Integer({ minimum: 0 }),
  creationTimeMs: Type.Number(),
  mediaType: Type.Optional(Type.String()),
  deviceName: Type.Optional(Type.String()),
  kmsKeyId: Type.Optional(Type.String()),
  tags: Type.Record(Type.String(), Type.String()),
});
export type VideoStreamDoc = Static<typeof VideoStreamDoc>;

export function isValidStreamName(name: string): boolean {
  return name.length >= 1 && name.length <= STREAM_NAME_MAX && STREAM_NAME.test(name);
}

/** Kinesis Video ARNs end in the creation time: arn:aws:kinesisvideo:<region>:<account>:stream/<name>/<ms>. */
export function streamArn(region: string, accountId: string, name: string, creationTimeMs: number): string {
  return `arn:aws:kinesisvideo:${region}:${accountId}:stream/${name}/${creationTimeMs}`;
}

export function toStreamInfo(doc: VideoStreamDoc): VideoStreamInfo {
  return {
    streamName: doc.name,
    streamArn: doc.arn,
    status: doc.status,
    dataRetentionInHours: doc.dataRetentionInHours,
    creationTimeMs: doc.creationTimeMs,
  };
}
