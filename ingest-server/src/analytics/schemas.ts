/**
 * Kinesis Data Analytics (v1, SQL; target prefix KinesisAnalytics_20150814) request schemas.
 *
 * Owns: the shape and limits of every request body, after the service model
 * (botocore kinesisanalytics/2015-08-14/service-2.json, the same model @aws-sdk/client-kinesis-analytics
 * is generated from) and the API reference (docs.aws.amazon.com/kinesisanalytics/latest/dev/API_Reference.html).
 * Does not own: cross-field rules (one input per application, an output named like a stream in
 * the code, ...), which the service checks, nor the wording of failures (plugins/aws-validation.ts).
 *
 * Deliberate departures from the model, all looser:
 * - RoleARN fields take any string of 1..2048 characters: Rivulet has no IAM.
 * - KinesisAnalyticsARN accepts any region and partition; the model's pattern is Java-flavoured
 *   (`\d{1}+`) and only admits `arn:aws:kinesisanalytics:xx-name-N:...`.
 * - RecordColumn.Name must be non-empty (the v1 model sets no limits; v2 says 1..256).
 * Patterns in the model are matched whole (Java `matches()`), so each is anchored here.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const obj = <P extends Record<string, TSchema>>(props: P) => Type.Object(props);
const opt = <S extends TSchema>(s: S) => Type.Optional(s);
const Enum = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Str = (min: number, max?: number, pattern?: string) =>
  Type.String({ minLength: min, ...(max !== undefined ? { maxLength: max } : {}), ...(pattern ? { pattern } : {}) });

// Scalars, by their model shape names.
export const ApplicationName = Str(1, 128, '^[a-zA-Z0-9_.-]+$');
const ApplicationDescription = Str(0, 1024);
const ApplicationCode = Str(0, 102_400);
const ApplicationVersionId = Type.Integer({ minimum: 1, maximum: 999_999_999 });
/** InputId, OutputId, ReferenceId, CloudWatchLoggingOptionId. */
const Id = Str(1, 50, '^[a-zA-Z0-9_.-]+$');
const InAppStreamName = Str(1, 32);
const InAppTableName = Str(1, 32);
const ResourceARN = Str(1, 2048, '^arn:.*$');
const BucketARN = Str(1, 2048, '^arn:.*$');
const LogStreamARN = Str(1, 2048, '^arn:.*$');
const RoleARN = Str(1, 2048);
const FileKey = Str(1, 1024);
const KinesisAnalyticsARN = Str(1, 2048, '^arn:[a-z-]+:kinesisanalytics:[a-z0-9-]+:\\d{12}:application/[a-zA-Z0-9_.-]{1,128}$');
/** The model's `Timestamp`: epoch seconds (with a fraction) on the awsJson1_1 wire. */
const Timestamp = Type.Number();

export const RecordFormatType = Enum('JSON', 'CSV');
export const InputStartingPosition = Enum('NOW', 'TRIM_HORIZON', 'LAST_STOPPED_POINT');

// Input side.
export const RecordColumn = obj({
  Name: Str(1),
  Mapping: opt(Type.String()),
  SqlType: Str(1),
});
export type RecordColumn = Static<typeof RecordColumn>;

export const RecordFormat = obj({
  RecordFormatType,
  MappingParameters: opt(obj({
    JSONMappingParameters: opt(obj({ RecordRowPath: Str(1) })),
    CSVMappingParameters: opt(obj({ RecordRowDelimiter: Str(1), RecordColumnDelimiter: Str(1) })),
  })),
});
export type RecordFormat = Static<typeof RecordFormat>;

export const SourceSchema = obj({
  RecordFormat,
  RecordEncoding: opt(Type.String({ pattern: '^UTF-8$' })),
  RecordColumns: Type.Array(RecordColumn, { minItems: 1, maxItems: 1000 }),
});
export type SourceSchema = Static<typeof SourceSchema>;

const ArnPair = obj({ ResourceARN, RoleARN });
const ArnPairUpdate = obj({ ResourceARNUpdate: opt(ResourceARN), RoleARNUpdate: opt(RoleARN) });
const InputParallelismCount = Type.Integer({ minimum: 1, maximum: 64 });

export const InputProcessingConfiguration = obj({ InputLambdaProcessor: ArnPair });
export const InputStartingPositionConfiguration = obj({ InputStartingPosition: opt(InputStartingPosition) });

export const Input = obj({
  NamePrefix: InAppStreamName,
  InputProcessingConfiguration: opt(InputProcessingConfiguration),
  KinesisStreamsInput: opt(ArnPair),
  KinesisFirehoseInput: opt(ArnPair),
  InputParallelism: opt(obj({ Count: opt(InputParallelismCount) })),
  InputSchema: SourceSchema,
});
export type Input = Static<typeof Input>;

// Output side.
export const DestinationSchema = obj({ RecordFormatType });
export const Output = obj({
  Name: InAppStreamName,
  KinesisStreamsOutput: opt(ArnPair),
  KinesisFirehoseOutput: opt(ArnPair),
  LambdaOutput: opt(ArnPair),
  DestinationSchema,
});
export type Output = Static<typeof Output>;

// Reference data.
export const ReferenceDataSource = obj({
  TableName: InAppTableName,
  S3ReferenceDataSource: opt(obj({ BucketARN, FileKey, ReferenceRoleARN: RoleARN })),
  ReferenceSchema: SourceSchema,
});
export type ReferenceDataSource = Static<typeof ReferenceDataSource>;

export const CloudWatchLoggingOption = obj({ LogStreamARN, RoleARN });
const Tag = obj({ Key: Str(1, 128), Value: opt(Str(0, 256)) });
const Tags = Type.Array(Tag, { minItems: 1, maxItems: 200 });

// UpdateApplication pieces: every field optional except the id of the thing updated.
export const InputUpdate = obj({
  InputId: Id,
  NamePrefixUpdate: opt(InAppStreamName),
  InputProcessingConfigurationUpdate: opt(obj({ InputLambdaProcessorUpdate: ArnPairUpdate })),
  KinesisStreamsInputUpdate: opt(ArnPairUpdate),
  KinesisFirehoseInputUpdate: opt(ArnPairUpdate),
  InputSchemaUpdate: opt(obj({
    RecordFormatUpdate: opt(RecordFormat),
    RecordEncodingUpdate: opt(Type.String({ pattern: '^UTF-8$' })),
    RecordColumnUpdates: opt(Type.Array(RecordColumn, { minItems: 1, maxItems: 1000 })),
  })),
  InputParallelismUpdate: opt(obj({ CountUpdate: opt(InputParallelismCount) })),
});
export const OutputUpdate = obj({
  OutputId: Id,
  NameUpdate: opt(InAppStreamName),
  KinesisStreamsOutputUpdate: opt(ArnPairUpdate),
  KinesisFirehoseOutputUpdate: opt(ArnPairUpdate),
  LambdaOutputUpdate: opt(ArnPairUpdate),
  DestinationSchemaUpdate: opt(DestinationSchema),
});
export const ReferenceDataSourceUpdate = obj({
  ReferenceId: Id,
  TableNameUpdate: opt(InAppTableName),
  S3ReferenceDataSourceUpdate: opt(obj({ BucketARNUpdate: opt(BucketARN), FileKeyUpdate: opt(FileKey), ReferenceRoleARNUpdate: opt(RoleARN) })),
  ReferenceSchemaUpdate: opt(SourceSchema),
});
export const CloudWatchLoggingOptionUpdate = obj({
  CloudWatchLoggingOptionId: Id,
  LogStreamARNUpdate: opt(LogStreamARN),
  RoleARNUpdate: opt(RoleARN),
});
export const ApplicationUpdate = obj({
  InputUpdates: opt(Type.Array(InputUpdate)),
  ApplicationCodeUpdate: opt(ApplicationCode),
  OutputUpdates: opt(Type.Array(OutputUpdate)),
  ReferenceDataSourceUpdates: opt(Type.Array(ReferenceDataSourceUpdate)),
  CloudWatchLoggingOptionUpdates: opt(Type.Array(CloudWatchLoggingOptionUpdate)),
});
export type ApplicationUpdate = Static<typeof ApplicationUpdate>;

// Requests.
const versioned = { ApplicationName, CurrentApplicationVersionId: ApplicationVersionId };

export const CreateApplicationRequest = obj({
  ApplicationName,
  ApplicationDescription: opt(ApplicationDescription),
  Inputs: opt(Type.Array(Input)),
  Outputs: opt(Type.Array(Output)),
  CloudWatchLoggingOptions: opt(Type.Array(CloudWatchLoggingOption)),
  ApplicationCode: opt(ApplicationCode),
  Tags: opt(Tags),
});
export type CreateApplicationRequest = Static<typeof CreateApplicationRequest>;
export const DescribeApplicationRequest = obj({ ApplicationName });
export type DescribeApplicationRequest = Static<typeof DescribeApplicationRequest>;
export const ListApplicationsRequest = obj({
  Limit: opt(Type.Integer({ minimum: 1, maximum: 50 })),
  ExclusiveStartApplicationName: opt(ApplicationName),
});
export type ListApplicationsRequest = Static<typeof ListApplicationsRequest>;
export const DeleteApplicationRequest = obj({ ApplicationName, CreateTimestamp: Timestamp });
export type DeleteApplicationRequest = Static<typeof DeleteApplicationRequest>;
export const StartApplicationRequest = obj({
  ApplicationName,
  InputConfigurations: Type.Array(obj({ Id, InputStartingPositionConfiguration })),
});
export type StartApplicationRequest = Static<typeof StartApplicationRequest>;
export const StopApplicationRequest = obj({ ApplicationName });
export type StopApplicationRequest = Static<typeof StopApplicationRequest>;
export const UpdateApplicationRequest = obj({ ...versioned, ApplicationUpdate });
export type UpdateApplicationRequest = Static<typeof UpdateApplicationRequest>;
export const AddApplicationInputRequest = obj({ ...versioned, Input });
export type AddApplicationInputRequest = Static<typeof AddApplicationInputRequest>;
export const AddApplicationOutputRequest = obj({ ...versioned, Output });
export type AddApplicationOutputRequest = Static<typeof AddApplicationOutputRequest>;
export const AddApplicationReferenceDataSourceRequest = obj({ ...versioned, ReferenceDataSource });
export type AddApplicationReferenceDataSourceRequest = Static<typeof AddApplicationReferenceDataSourceRequest>;
export const AddApplicationCloudWatchLoggingOptionRequest = obj({ ...versioned, CloudWatchLoggingOption });
export type AddApplicationCloudWatchLoggingOptionRequest = Static<typeof AddApplicationCloudWatchLoggingOptionRequest>;
export const AddApplicationInputProcessingConfigurationRequest = obj({ ...versioned, InputId: Id, InputProcessingConfiguration });
export type AddApplicationInputProcessingConfigurationRequest = Static<typeof AddApplicationInputProcessingConfigurationRequest>;
export const DeleteApplicationOutputRequest = obj({ ...versioned, OutputId: Id });
export type DeleteApplicationOutputRequest = Static<typeof DeleteApplicationOutputRequest>;
export const DeleteApplicationReferenceDataSourceRequest = obj({ ...versioned, ReferenceId: Id });
export type DeleteApplicationReferenceDataSourceRequest = Static<typeof DeleteApplicationReferenceDataSourceRequest>;
export const DeleteApplicationCloudWatchLoggingOptionRequest = obj({ ...versioned, CloudWatchLoggingOptionId: Id });
export type DeleteApplicationCloudWatchLoggingOptionRequest = Static<typeof DeleteApplicationCloudWatchLoggingOptionRequest>;
export const DeleteApplicationInputProcessingConfigurationRequest = obj({ ...versioned, InputId: Id });
export type DeleteApplicationInputProcessingConfigurationRequest = Static<typeof DeleteApplicationInputProcessingConfigurationRequest>;
/** All members optional in the model; the service requires ResourceARN or S3Configuration. */
export const DiscoverInputSchemaRequest = obj({
  ResourceARN: opt(ResourceARN),
  RoleARN: opt(RoleARN),
  InputStartingPositionConfiguration: opt(InputStartingPositionConfiguration),
  S3Configuration: opt(obj({ RoleARN, BucketARN, FileKey })),
  InputProcessingConfiguration: opt(InputProcessingConfiguration),
});
export type DiscoverInputSchemaRequest = Static<typeof DiscoverInputSchemaRequest>;
export const TagResourceRequest = obj({ ResourceARN: KinesisAnalyticsARN, Tags });
export type TagResourceRequest = Static<typeof TagResourceRequest>;
export const UntagResourceRequest = obj({ ResourceARN: KinesisAnalyticsARN, TagKeys: Type.Array(Str(1, 128), { minItems: 1, maxItems: 200 }) });
export type UntagResourceRequest = Static<typeof UntagResourceRequest>;
export const ListTagsForResourceRequest = obj({ ResourceARN: KinesisAnalyticsARN });
export type ListTagsForResourceRequest = Static<typeof ListTagsForResourceRequest>;

/** Request schema per action name (the part of X-Amz-Target after `KinesisAnalytics_20150814.`). */
export const Schemas = {
  CreateApplication: CreateApplicationRequest,
  DescribeApplication: DescribeApplicationRequest,
  ListApplications: ListApplicationsRequest,
  DeleteApplication: DeleteApplicationRequest,
  StartApplication: StartApplicationRequest,
  StopApplication: StopApplicationRequest,
  UpdateApplication: UpdateApplicationRequest,
  AddApplicationInput: AddApplicationInputRequest,
  AddApplicationOutput: AddApplicationOutputRequest,
  AddApplicationReferenceDataSource: AddApplicationReferenceDataSourceRequest,
  AddApplicationCloudWatchLoggingOption: AddApplicationCloudWatchLoggingOptionRequest,
  AddApplicationInputProcessingConfiguration: AddApplicationInputProcessingConfigurationRequest,
  DeleteApplicationOutput: DeleteApplicationOutputRequest,
  DeleteApplicationReferenceDataSource: DeleteApplicationReferenceDataSourceRequest,
  DeleteApplicationCloudWatchLoggingOption: DeleteApplicationCloudWatchLoggingOptionRequest,
  DeleteApplicationInputProcessingConfiguration: DeleteApplicationInputProcessingConfigurationRequest,
  DiscoverInputSchema: DiscoverInputSchemaRequest,
  TagResource: TagResourceRequest,
  UntagResource: UntagResourceRequest,
  ListTagsForResource: ListTagsForResourceRequest,
};
