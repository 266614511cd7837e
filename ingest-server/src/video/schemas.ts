/**
 * Request and response schemas of the video REST-JSON operations, as the Kinesis Video Streams
 * API reference gives them (member names, lengths, enums). Input types are Static<> of these;
 * routes validate bodies against them. Timestamps on the wire are epoch seconds (numbers), the
 * REST-JSON default the SDK serializes and parses.
 */
import { Type, type Static } from '@sinclair/typebox';
import { STREAM_NAME_MAX, STREAM_NAME_PATTERN } from './model.js';

const StreamName = Type.String({ minLength: 1, maxLength: STREAM_NAME_MAX, pattern: STREAM_NAME_PATTERN });
const StreamARN = Type.String({ minLength: 1, maxLength: 1024 });
const Version = Type.String({ minLength: 1, maxLength: 64 });
const NextToken = Type.String({ minLength: 0, maxLength: 4096 });
const TagKey = Type.String({ minLength: 1, maxLength: 128 });
const TagMap = Type.Record(Type.String(), Type.String({ maxLength: 256 }));
/** Epoch seconds; the SDK sends a number, other clients may send an ISO-8601 string. */
const Timestamp = Type.Union([Type.Number(), Type.String({ maxLength: 64 })]);
const StreamRef = { StreamName: Type.Optional(StreamName), StreamARN: Type.Optional(StreamARN) };

export const VideoSchemas = {
  CreateStream: Type.Object({
    StreamName,
    DeviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    MediaType: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    KmsKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    DataRetentionInHours: Type.Optional(Type.Integer({ minimum: 0 })),
    Tags: Type.Optional(TagMap),
  }),
  DescribeStream: Type.Object(StreamRef),
  ListStreams: Type.Object({
    MaxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    NextToken: Type.Optional(NextToken),
    StreamNameCondition: Type.Optional(
      Type.Object({
        ComparisonOperator: Type.Optional(Type.Literal('BEGINS_WITH')),
        ComparisonValue: Type.Optional(Type.String({ minLength: 1, maxLength: STREAM_NAME_MAX })),
      }),
    ),
  }),
  DeleteStream: Type.Object({ StreamARN, CurrentVersion: Type.Optional(Version) }),
  UpdateDataRetention: Type.Object({
    ...StreamRef,
    CurrentVersion: Version,
    Operation: Type.Union([Type.Literal('INCREASE_DATA_RETENTION'), Type.Literal('DECREASE_DATA_RETENTION')]),
    DataRetentionChangeInHours: Type.Integer({ minimum: 1 }),
  }),
  TagStream: Type.Object({ ...StreamRef, Tags: TagMap }),
  UntagStream: Type.Object({ ...StreamRef, TagKeyList: Type.Array(TagKey, { minItems: 1, maxItems: 50 }) }),
  ListTagsForStream: Type.Object({ ...StreamRef, NextToken: Type.Optional(NextToken) }),
  GetDataEndpoint: Type.Object({
    ...StreamRef,
    APIName: Type.Union(
      ['PUT_MEDIA', 'GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST', 'GET_HLS_STREAMING_SESSION_URL', 'GET_DASH_STREAMING_SESSION_URL', 'GET_CLIP', 'GET_IMAGES'].map((n) => Type.Literal(n)),
    ),
  }),
  ListFragments: Type.Object({
    ...StreamRef,
    MaxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    NextToken: Type.Optional(NextToken),
    FragmentSelector: Type.Optional(
      Type.Object({
        FragmentSelectorType: Type.Union([Type.Literal('PRODUCER_TIMESTAMP'), Type.Literal('SERVER_TIMESTAMP')]),
        TimestampRange: Type.Object({ StartTimestamp: Timestamp, EndTimestamp: Timestamp }),
      }),
    ),
  }),
  GetMediaForFragmentList: Type.Object({
    ...StreamRef,
    Fragments: Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: '^[0-9]+$' }), { minItems: 1, maxItems: 1000 }),
  }),
} as const;

export type VideoInput<K extends keyof typeof VideoSchemas> = Static<(typeof VideoSchemas)[K]>;

export const StreamInfoOut = Type.Object({
  DeviceName: Type.Optional(Type.String()),
  StreamName: Type.String(),
  StreamARN: Type.String(),
  MediaType: Type.Optional(Type.String()),
  KmsKeyId: Type.Optional(Type.String()),
  Version: Type.String(),
  Status: Type.String(),
  /** Epoch seconds. */
  CreationTime: Type.Number(),
  DataRetentionInHours: Type.Integer(),
});
export type StreamInfoOut = Static<typeof StreamInfoOut>;

export const FragmentOut = Type.Object({
  FragmentNumber: Type.String(),
  FragmentSizeInBytes: Type.Integer(),
  /** Epoch seconds, with milliseconds as the fraction. */
  ProducerTimestamp: Type.Number(),
  ServerTimestamp: Type.Number(),
  FragmentLengthInMilliseconds: Type.Integer(),
});
export type FragmentOut = Static<typeof FragmentOut>;

export const VideoOutputs = {
  CreateStream: Type.Object({ StreamARN: Type.String() }),
  DescribeStream: Type.Object({ StreamInfo: StreamInfoOut }),
  ListStreams: Type.Object({ StreamInfoList: Type.Array(StreamInfoOut), NextToken: Type.Optional(Type.String()) }),
  Empty: Type.Object({}),
  ListTagsForStream: Type.Object({ Tags: TagMap, NextToken: Type.Optional(Type.String()) }),
  GetDataEndpoint: Type.Object({ DataEndpoint: Type.String() }),
  ListFragments: Type.Object({ Fragments: Type.Array(FragmentOut), NextToken: Type.Optional(Type.String()) }),
} as const;

export type VideoOutput<K extends keyof typeof VideoOutputs> = Static<(typeof VideoOutputs)[K]>;
