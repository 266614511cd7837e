/**
 * The agent's configuration schema (YAML on disk). Schema first: the config types come from it,
 * defaults live in it, and boot validation names the path of a bad field.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Name = Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' });
const Literal = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const withDefault = <S extends TSchema>(schema: S) => Type.Unsafe<Static<S>>({ ...schema, default: {} });

export const StreamPolicySchema = Type.Object({
  /** Lower numbers upload first: alerts 0, bulk 9. */
  priority: Type.Integer({ minimum: 0, maximum: 9, default: 5 }),
  whenFull: Literal('drop_oldest', 'drop_newest', 'block'),
});

export const PartitionKeySchema = Type.Union([
  Type.Object({ topicSegment: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ jsonField: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ fixed: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
]);

export const SubscriptionSchema = Type.Object(
  {
    /** MQTT filter; `+name` is a named single-level wildcard usable as a partition key. */
    topic: Type.String({ minLength: 1 }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { default: 1 }),
    stream: Name,
    partitionKey: PartitionKeySchema,
    payload: Literal('json', 'raw'),
  },
  { additionalProperties: false },
);

export const MqttSourceSchema = Type.Object(
  {
    type: Type.Literal('mqtt'),
    name: Name,
    broker: Type.Union([
      Type.Object({ url: Type.String({ pattern: '^(mqtts?|wss?|tcp)://' }), username: Type.Optional(Type.String()), password: Type.Optional(Type.String()) }, { additionalProperties: false }),
      Type.Object(
        // No defaults inside unions (TypeBox fills them only for a branch that already checks):
        // the embedded broker binds 127.0.0.1:1883 unless told otherwise.
        { embedded: Type.Object({ host: Type.Optional(Type.String()), port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })) }, { additionalProperties: false }) },
        { additionalProperties: false },
      ),
    ]),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    subscriptions: Type.Array(SubscriptionSchema, { minItems: 1 }),
    /** Messages that cannot be mapped (bad JSON, missing key field) go here. */
    deadLetterStream: Type.Optional(Name),
  },
  { additionalProperties: false },
);

export const SystemSourceSchema = Type.Object(
  {
    type: Type.Literal('system'),
    name: Name,
    stream: Name,
    intervalMs: Type.Integer({ minimum: 1000, default: 10_000 }),
  },
  { additionalProperties: false },
);

export const CameraSourceSchema = Type.Object(
  {
    type: Type.Literal('camera'),
    name: Name,
    /**
     * The camera's RTSP URL (credentials inline, as cameras take them), or a simulated camera:
     * `testsrc://?size=640x360&rate=15` (ffmpeg's test pattern, encoded with libx264).
     */
    url: Type.String({ pattern: '^(rtsps?://|testsrc://(\\?((size=\\d{2,4}x\\d{2,4}|rate=\\d{1,2})&?)*)?$)' }),
    /** The Kinesis Video stream the fragments go to. */
    stream: Name,
    /** RTSP over TCP (interleaved) by default: it passes NAT and loses no packets. */
    transport: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { default: 'tcp' }),
    /** Kinesis Video: a fragment lasts at most 10 s. Cuts fall on the next keyframe after this. */
    fragmentSeconds: Type.Number({ minimum: 0.5, maximum: 10, default: 2 }),
    /** A camera that sends nothing for this long counts as gone: ffmpeg exits and is restarted. */
    socketTimeoutMs: Type.Integer({ minimum: 500, maximum: 120_000, default: 5000 }),
    /** Metadata sent with every fragment. */
    tags: Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 256 }), { default: {} }),
    /** Unset: $FFMPEG_PATH, else ffmpeg on PATH. */
    ffmpegPath: Type.Optional(Type.String({ minLength: 1 })),
    /** Local retention of fragment files not yet uploaded (or kept with keepLocal). */
    retention: Type.Object(
      {
        maxHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
        maxBytes: Type.Integer({ minimum: 1024 * 1024, default: 1024 * 1024 * 1024 }),
        /** delete_oldest: recent video wins; deny_new: what is kept stays. */
        whenFull: Type.Union([Type.Literal('delete_oldest'), Type.Literal('deny_new')], { default: 'delete_oldest' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Keep uploaded fragments for local playback (retention still bounds them). */
    keepLocal: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export const AgentConfigSchema = Type.Object(
  {
    device: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }) }, { additionalProperties: false }),
    server: Type.Object(
      {
        endpoint: Type.String({ pattern: '^https?://' }),
        region: Type.String({ default: 'us-east-1' }),
        accessKeyId: Type.Optional(Type.String({ minLength: 1 })),
        secretAccessKey: Type.Optional(Type.String({ minLength: 1 })),
        /** A file holding the secret access key (mode 0600), instead of the key inline. */
        secretFile: Type.Optional(Type.String({ minLength: 1 })),
        /** Send the idempotent-producer headers; real AWS ignores them. */
        idempotentProducer: Type.Boolean({ default: true }),
      },
      { additionalProperties: false },
    ),
    buffer: withDefault(
      Type.Object(
        {
          path: Type.String({ default: './data/agent-buffer' }),
          maxBytes: Type.Integer({ minimum: 1024 * 1024, default: 256 * 1024 * 1024 }),
          flushIntervalMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 20 }),
          /** The policy for streams not listed under `streams`. */
          default: Type.Object(StreamPolicySchema.properties, { default: { priority: 5, whenFull: 'drop_oldest' } }),
          streams: Type.Record(Type.String(), StreamPolicySchema, { default: {} }),
          /**
           * Where drop counts go, as records. Unset: the first system source's stream, or no
           * reports (the counts still show on the status page).
           */
          dropReport: Type.Optional(
            Type.Object({ stream: Name, intervalMs: Type.Integer({ minimum: 1000, default: 60_000 }) }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    upload: withDefault(
      Type.Object(
        {
          /** Kinesis: PutRecords takes at most 500 records and 5 MiB. */
          maxBatchRecords: Type.Integer({ minimum: 1, maximum: 500, default: 500 }),
          maxBatchBytes: Type.Integer({ minimum: 1024, maximum: 5 * 1024 * 1024, default: 5 * 1024 * 1024 }),
          bandwidthBytesPerSecond: Type.Union([Type.Integer({ minimum: 1024 }), Type.Null()], { default: null }),
          backoffBaseMs: Type.Integer({ minimum: 10, default: 250 }),
          backoffCapMs: Type.Integer({ minimum: 100, default: 60_000 }),
        },
        { additionalProperties: false },
      ),
    ),
    sources: Type.Array(Type.Union([MqttSourceSchema, SystemSourceSchema, CameraSourceSchema]), { default: [] }),
    status: withDefault(
      Type.Object(
        { host: Type.String({ default: '127.0.0.1' }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 8787 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
export type MqttSourceConfig = Static<typeof MqttSourceSchema>;
export type SystemSourceConfig = Static<typeof SystemSourceSchema>;
export type CameraSourceConfig = Static<typeof CameraSourceSchema>;
