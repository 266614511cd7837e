/**
 * Request schemas of the archived-media and media read APIs, as Kinesis Video defines them
 * (names, enums and ranges from the API reference). Each schema is also its input type.
 */
import { Type, type Static } from '@sinclair/typebox';

const StreamName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_.-]+$' });
const StreamARN = Type.String({ minLength: 1, maxLength: 1024 });
const Kind = Type.Union([Type.Literal('PRODUCER_TIMESTAMP'), Type.Literal('SERVER_TIMESTAMP')]);
/** REST-JSON timestamps: epoch seconds. */
const Timestamp = Type.Number();
const streamFields = { StreamName: Type.Optional(StreamName), StreamARN: Type.Optional(StreamARN) };

export const GetClipInput = Type.Object({
  ...streamFields,
  ClipFragmentSelector: Type.Object({
    FragmentSelectorType: Kind,
    TimestampRange: Type.Object({ StartTimestamp: Timestamp, EndTimestamp: Timestamp }),
  }),
});
export type GetClipInput = Static<typeof GetClipInput>;

export const GetHlsUrlInput = Type.Object({
  ...streamFields,
  PlaybackMode: Type.Optional(Type.Union([Type.Literal('LIVE'), Type.Literal('LIVE_REPLAY'), Type.Literal('ON_DEMAND')])),
  HLSFragmentSelector: Type.Optional(
    Type.Object({
      FragmentSelectorType: Type.Optional(Kind),
      TimestampRange: Type.Optional(Type.Object({ StartTimestamp: Type.Optional(Timestamp), EndTimestamp: Type.Optional(Timestamp) })),
    }),
  ),
  ContainerFormat: Type.Optional(Type.Union([Type.Literal('FRAGMENTED_MP4'), Type.Literal('MPEG_TS')])),
  DiscontinuityMode: Type.Optional(Type.Union([Type.Literal('ALWAYS'), Type.Literal('NEVER'), Type.Literal('ON_DISCONTINUITY')])),
  DisplayFragmentTimestamp: Type.Optional(Type.Union([Type.Literal('ALWAYS'), Type.Literal('NEVER')])),
  // Kinesis Video: 300 s to 12 h.
  Expires: Type.Optional(Type.Integer({ minimum: 300, maximum: 43200 })),
  MaxMediaPlaylistFragmentResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});
export type GetHlsUrlInput = Static<typeof GetHlsUrlInput>;

export const GetImagesInput = Type.Object({
  ...streamFields,
  ImageSelectorType: Kind,
  StartTimestamp: Timestamp,
  EndTimestamp: Timestamp,
  // Kinesis Video: at least 200 ms (5 images per second), at most 20 s.
  SamplingInterval: Type.Optional(Type.Integer({ minimum: 200, maximum: 20000 })),
  Format: Type.Union([Type.Literal('JPEG'), Type.Literal('PNG')]),
  FormatConfig: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 256 }))),
  WidthPixels: Type.Optional(Type.Integer({ minimum: 1, maximum: 3840 })),
  HeightPixels: Type.Optional(Type.Integer({ minimum: 1, maximum: 2160 })),
  MaxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  NextToken: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^[a-zA-Z0-9+/]+={0,2}$' })),
});
export type GetImagesInput = Static<typeof GetImagesInput>;

export const GetMediaInput = Type.Object({
  ...streamFields,
  StartSelector: Type.Object({
    StartSelectorType: Type.Union([
      Type.Literal('FRAGMENT_NUMBER'),
      Type.Literal('SERVER_TIMESTAMP'),
      Type.Literal('PRODUCER_TIMESTAMP'),
      Type.Literal('NOW'),
      Type.Literal('EARLIEST'),
      Type.Literal('CONTINUATION_TOKEN'),
    ]),
    AfterFragmentNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[0-9]+$' })),
    StartTimestamp: Type.Optional(Timestamp),
    ContinuationToken: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$' })),
  }),
});
export type GetMediaInput = Static<typeof GetMediaInput>;

export const HlsQuery = Type.Object({
  SessionToken: Type.Optional(Type.String({ maxLength: 4096 })),
  FragmentNumber: Type.Optional(Type.String({ maxLength: 128 })),
});
export type HlsQuery = Static<typeof HlsQuery>;
