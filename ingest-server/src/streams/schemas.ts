/**
 * Data Streams request schemas, after the Kinesis API reference (constraints and all).
 * Validation is data: these schemas drive the checks, and aws-validation.ts turns their
 * failures into ValidationException / SerializationException messages as AWS words them.
 */
import { Type, type TSchema } from '@sinclair/typebox';

const StreamName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$' });
const StreamARN = Type.String({ minLength: 1, maxLength: 2048, pattern: '^arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+$' });
const ShardId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$' });
const HashKey = Type.String({ pattern: '^(0|[1-9]\\d{0,38})$' });
const SequenceNumber = Type.String({ pattern: '^(0|[1-9]\\d{0,128})$' });
const ConsumerName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$' });
const ConsumerARN = Type.String({ minLength: 1, maxLength: 2048, pattern: '^(arn):aws.*:kinesis:.*:\\d{12}:.*stream/[a-zA-Z0-9_.-]+/consumer/[a-zA-Z0-9_.-]+:[0-9]+$' });
const TagKey = Type.String({ minLength: 1, maxLength: 128 });
const Timestamp = Type.Number();
const Enum = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const StreamMode = Enum('PROVISIONED', 'ON_DEMAND');
const StreamRef = { StreamName: Type.Optional(StreamName), StreamARN: Type.Optional(StreamARN) };
const obj = <P extends Record<string, TSchema>>(props: P) => Type.Object(props);

export const ShardFilter = obj({
  Type: Enum('AFTER_SHARD_ID', 'AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON', 'AT_LATEST', 'AT_TIMESTAMP', 'FROM_TIMESTAMP'),
  ShardId: Type.Optional(ShardId),
  Timestamp: Type.Optional(Timestamp),
});

const PutRecordsEntry = obj({
  Data: Type.String(),
  PartitionKey: Type.String({ minLength: 1, maxLength: 256 }),
  ExplicitHashKey: Type.Optional(HashKey),
});

export const Schemas = {
  CreateStream: obj({
    StreamName,
    ShardCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    StreamModeDetails: Type.Optional(obj({ StreamMode })),
    Tags: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 256 }))),
  }),
  DeleteStream: obj({ ...StreamRef, EnforceConsumerDeletion: Type.Optional(Type.Boolean()) }),
  DescribeStream: obj({
    ...StreamRef,
    Limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    ExclusiveStartShardId: Type.Optional(ShardId),
  }),
  DescribeStreamSummary: obj(StreamRef),
  ListStreams: obj({
    Limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    ExclusiveStartStreamName: Type.Optional(StreamName),
    NextToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1_048_576 })),
  }),
  ListShards: obj({
    ...StreamRef,
    NextToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1_048_576 })),
    ExclusiveStartShardId: Type.Optional(ShardId),
    MaxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    StreamCreationTimestamp: Type.Optional(Timestamp),
    ShardFilter: Type.Optional(ShardFilter),
  }),
  UpdateStreamMode: obj({ StreamARN, StreamModeDetails: obj({ StreamMode }) }),
  PutRecord: obj({
    ...StreamRef,
    Data: Type.String(),
    PartitionKey: Type.String({ minLength: 1, maxLength: 256 }),
    ExplicitHashKey: Type.Optional(HashKey),
    SequenceNumberForOrdering: Type.Optional(SequenceNumber),
  }),
  PutRecords: obj({ ...StreamRef, Records: Type.Array(PutRecordsEntry, { minItems: 1, maxItems: 500 }) }),
  GetShardIterator: obj({
    ...StreamRef,
    ShardId,
    ShardIteratorType: Enum('AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'),
    StartingSequenceNumber: Type.Optional(SequenceNumber),
    Timestamp: Type.Optional(Timestamp),
  }),
  GetRecords: obj({
    ShardIterator: Type.String({ minLength: 1, maxLength: 512 }),
    Limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    StreamARN: Type.Optional(StreamARN),
  }),
  SplitShard: obj({ ...StreamRef, ShardToSplit: ShardId, NewStartingHashKey: HashKey }),
  MergeShards: obj({ ...StreamRef, ShardToMerge: ShardId, AdjacentShardToMerge: ShardId }),
  UpdateShardCount: obj({
    ...StreamRef,
    TargetShardCount: Type.Integer({ minimum: 1, maximum: 100_000 }),
    ScalingType: Enum('UNIFORM_SCALING'),
  }),
  IncreaseStreamRetentionPeriod: obj({ ...StreamRef, RetentionPeriodHours: Type.Integer({ minimum: 1, maximum: 8760 }) }),
  DecreaseStreamRetentionPeriod: obj({ ...StreamRef, RetentionPeriodHours: Type.Integer({ minimum: 1, maximum: 8760 }) }),
  AddTagsToStream: obj({ ...StreamRef, Tags: Type.Record(Type.String(), Type.String({ maxLength: 256 })) }),
  RemoveTagsFromStream: obj({ ...StreamRef, TagKeys: Type.Array(TagKey, { minItems: 1, maxItems: 50 }) }),
  ListTagsForStream: obj({
    ...StreamRef,
    ExclusiveStartTagKey: Type.Optional(TagKey),
    Limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  }),
  StartStreamEncryption: obj({ ...StreamRef, EncryptionType: Enum('KMS', 'NONE'), KeyId: Type.String({ minLength: 1, maxLength: 2048 }) }),
  StopStreamEncryption: obj({ ...StreamRef, EncryptionType: Enum('KMS', 'NONE'), KeyId: Type.String({ minLength: 1, maxLength: 2048 }) }),
  DescribeLimits: obj({}),
  EnableEnhancedMonitoring: obj({ ...StreamRef, ShardLevelMetrics: Type.Array(Type.String(), { minItems: 1, maxItems: 7 }) }),
  DisableEnhancedMonitoring: obj({ ...StreamRef, ShardLevelMetrics: Type.Array(Type.String(), { minItems: 1, maxItems: 7 }) }),
  RegisterStreamConsumer: obj({ StreamARN, ConsumerName }),
  DeregisterStreamConsumer: obj({
    StreamARN: Type.Optional(StreamARN),
    ConsumerName: Type.Optional(ConsumerName),
    ConsumerARN: Type.Optional(ConsumerARN),
  }),
  DescribeStreamConsumer: obj({
    StreamARN: Type.Optional(StreamARN),
    ConsumerName: Type.Optional(ConsumerName),
    ConsumerARN: Type.Optional(ConsumerARN),
  }),
  ListStreamConsumers: obj({
    StreamARN,
    NextToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1_048_576 })),
    MaxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    StreamCreationTimestamp: Type.Optional(Timestamp),
  }),
} as const;
