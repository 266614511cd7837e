/**
 * Firehose request schemas, after the Amazon Data Firehose API reference (Firehose_20150804).
 * Validation is data: these drive the checks, and aws-validation.ts words the failures as AWS
 * does. Only the destinations Rivulet delivers to are modelled (ExtendedS3 / S3, HttpEndpoint,
 * Redshift as PostgreSQL); the others are refused by name in validate-config.ts.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const obj = <P extends Record<string, TSchema>>(props: P) => Type.Object(props);
const opt = <S extends TSchema>(s: S) => Type.Optional(s);
const Enum = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Str = (min: number, max: number, pattern?: string) => Type.String({ minLength: min, maxLength: max, ...(pattern ? { pattern } : {}) });

export const DeliveryStreamName = Str(1, 64, '^[a-zA-Z0-9_.-]+$');
const RoleARN = Str(1, 512);
const BucketARN = Str(1, 2048, '^arn:.*:s3:::[\\w\\.\\-]{1,255}$');
const Prefix = Str(0, 1024);

export const BufferingHints = obj({
  SizeInMBs: opt(Type.Integer({ minimum: 1, maximum: 128 })),
  IntervalInSeconds: opt(Type.Integer({ minimum: 0, maximum: 900 })),
});
export const CompressionFormat = Enum('UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY');
const CloudWatchLoggingOptions = obj({ Enabled: opt(Type.Boolean()), LogGroupName: opt(Type.String()), LogStreamName: opt(Type.String()) });
const EncryptionConfiguration = obj({ NoEncryptionConfig: opt(Enum('NoEncryption')), KMSEncryptionConfig: opt(obj({ AWSKMSKeyARN: Str(1, 512) })) });

export const ProcessorParameter = obj({
  ParameterName: Enum('LambdaArn', 'NumberOfRetries', 'MetadataExtractionQuery', 'JsonParsingEngine', 'RoleArn', 'BufferSizeInMBs', 'BufferIntervalInSeconds', 'SubRecordType', 'Delimiter', 'CompressionFormat', 'DataMessageExtraction'),
  ParameterValue: Str(1, 5120),
});
export const Processor = obj({
  Type: Enum('RecordDeAggregation', 'Decompression', 'CloudWatchLogProcessing', 'Lambda', 'MetadataExtraction', 'AppendDelimiterToRecord'),
  Parameters: opt(Type.Array(ProcessorParameter)),
});
export const ProcessingConfiguration = obj({ Enabled: opt(Type.Boolean()), Processors: opt(Type.Array(Processor)) });

export const S3DestinationConfiguration = obj({
  RoleARN,
  BucketARN,
  Prefix: opt(Prefix),
  ErrorOutputPrefix: opt(Prefix),
  BufferingHints: opt(BufferingHints),
  CompressionFormat: opt(CompressionFormat),
  EncryptionConfiguration: opt(EncryptionConfiguration),
  CloudWatchLoggingOptions: opt(CloudWatchLoggingOptions),
});
export type S3DestinationConfiguration = Static<typeof S3DestinationConfiguration>;

const ColumnsHint = obj({ Name: Type.String(), Type: Type.String() });
export const DataFormatConversionConfiguration = obj({
  Enabled: opt(Type.Boolean()),
  SchemaConfiguration: opt(obj({ RoleARN: opt(Type.String()), CatalogId: opt(Type.String()), DatabaseName: opt(Type.String()), TableName: opt(Type.String()), Region: opt(Type.String()), VersionId: opt(Type.String()) })),
  InputFormatConfiguration: opt(obj({ Deserializer: opt(obj({ OpenXJsonSerDe: opt(Type.Object({})), HiveJsonSerDe: opt(Type.Object({})) })) })),
  OutputFormatConfiguration: opt(obj({ Serializer: opt(obj({ ParquetSerDe: opt(obj({ Compression: opt(Enum('UNCOMPRESSED', 'GZIP', 'SNAPPY')) })), OrcSerDe: opt(Type.Object({})) })) })),
});
export type DataFormatConversionConfiguration = Static<typeof DataFormatConversionConfiguration>;
export { ColumnsHint };

export const DynamicPartitioningConfiguration = obj({
  Enabled: opt(Type.Boolean()),
  RetryOptions: opt(obj({ DurationInSeconds: opt(Type.Integer({ minimum: 0, maximum: 7200 })) })),
});

export const ExtendedS3DestinationConfiguration = obj({
  ...S3DestinationConfiguration.properties,
  ProcessingConfiguration: opt(ProcessingConfiguration),
  S3BackupMode: opt(Enum('Disabled', 'Enabled')),
  S3BackupConfiguration: opt(S3DestinationConfiguration),
  DataFormatConversionConfiguration: opt(DataFormatConversionConfiguration),
  DynamicPartitioningConfiguration: opt(DynamicPartitioningConfiguration),
  FileExtension: opt(Str(0, 128, '^$|\\.[0-9a-z!\\-_.*\'()]+$')),
  CustomTimeZone: opt(Str(0, 50)),
});
export type ExtendedS3DestinationConfiguration = Static<typeof ExtendedS3DestinationConfiguration>;

export const HttpEndpointDestinationConfiguration = obj({
  EndpointConfiguration: obj({ Url: Str(1, 1000, '^https://.*|^http://.*'), Name: opt(Str(1, 256)), AccessKey: opt(Str(0, 4096)) }),
  BufferingHints: opt(BufferingHints),
  CloudWatchLoggingOptions: opt(CloudWatchLoggingOptions),
  RequestConfiguration: opt(obj({
    ContentEncoding: opt(Enum('NONE', 'GZIP')),
    CommonAttributes: opt(Type.Array(obj({ AttributeName: Str(1, 256), AttributeValue: Str(0, 1024) }), { maxItems: 50 })),
  })),
  ProcessingConfiguration: opt(ProcessingConfiguration),
  RoleARN: opt(RoleARN),
  RetryOptions: opt(obj({ DurationInSeconds: opt(Type.Integer({ minimum: 0, maximum: 7200 })) })),
  S3BackupMode: opt(Enum('FailedDataOnly', 'AllData')),
  S3Configuration: S3DestinationConfiguration,
});
export type HttpEndpointDestinationConfiguration = Static<typeof HttpEndpointDestinationConfiguration>;

export const RedshiftDestinationConfiguration = obj({
  RoleARN,
  ClusterJDBCURL: Str(1, 512),
  CopyCommand: obj({ DataTableName: Str(1, 512), DataTableColumns: opt(Type.String()), CopyOptions: opt(Type.String()) }),
  Username: opt(Str(1, 512)),
  Password: opt(Str(6, 512)),
  RetryOptions: opt(obj({ DurationInSeconds: opt(Type.Integer({ minimum: 0, maximum: 7200 })) })),
  S3Configuration: S3DestinationConfiguration,
  ProcessingConfiguration: opt(ProcessingConfiguration),
  S3BackupMode: opt(Enum('Disabled', 'Enabled')),
  S3BackupConfiguration: opt(S3DestinationConfiguration),
  CloudWatchLoggingOptions: opt(CloudWatchLoggingOptions),
});
export type RedshiftDestinationConfiguration = Static<typeof RedshiftDestinationConfiguration>;

const Tag = obj({ Key: Str(1, 128), Value: opt(Str(0, 256)) });
const Unsupported = opt(Type.Unknown());

export const Schemas = {
  CreateDeliveryStream: obj({
    DeliveryStreamName,
    DeliveryStreamType: opt(Enum('DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource')),
    KinesisStreamSourceConfiguration: opt(obj({ KinesisStreamARN: Str(1, 512, '^arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+$'), RoleARN })),
    DeliveryStreamEncryptionConfigurationInput: opt(obj({ KeyARN: opt(Type.String()), KeyType: Enum('AWS_OWNED_CMK', 'CUSTOMER_MANAGED_CMK') })),
    S3DestinationConfiguration: opt(S3DestinationConfiguration),
    ExtendedS3DestinationConfiguration: opt(ExtendedS3DestinationConfiguration),
    HttpEndpointDestinationConfiguration: opt(HttpEndpointDestinationConfiguration),
    RedshiftDestinationConfiguration: opt(RedshiftDestinationConfiguration),
    ElasticsearchDestinationConfiguration: Unsupported,
    AmazonopensearchserviceDestinationConfiguration: Unsupported,
    SplunkDestinationConfiguration: Unsupported,
    AmazonOpenSearchServerlessDestinationConfiguration: Unsupported,
    SnowflakeDestinationConfiguration: Unsupported,
    IcebergDestinationConfiguration: Unsupported,
    MSKSourceConfiguration: Unsupported,
    Tags: opt(Type.Array(Tag, { minItems: 1, maxItems: 50 })),
  }),
  DeleteDeliveryStream: obj({ DeliveryStreamName, AllowForceDelete: opt(Type.Boolean()) }),
  DescribeDeliveryStream: obj({
    DeliveryStreamName,
    Limit: opt(Type.Integer({ minimum: 1, maximum: 10_000 })),
    ExclusiveStartDestinationId: opt(Str(1, 100)),
  }),
  ListDeliveryStreams: obj({
    Limit: opt(Type.Integer({ minimum: 1, maximum: 10_000 })),
    DeliveryStreamType: opt(Enum('DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource')),
    ExclusiveStartDeliveryStreamName: opt(DeliveryStreamName),
  }),
  UpdateDestination: obj({
    DeliveryStreamName,
    CurrentDeliveryStreamVersionId: Str(1, 50, '^[0-9]+$'),
    DestinationId: Str(1, 100),
    S3DestinationUpdate: opt(Type.Partial(S3DestinationConfiguration)),
    ExtendedS3DestinationUpdate: opt(Type.Partial(ExtendedS3DestinationConfiguration)),
    HttpEndpointDestinationUpdate: opt(Type.Partial(HttpEndpointDestinationConfiguration)),
    RedshiftDestinationUpdate: opt(Type.Partial(RedshiftDestinationConfiguration)),
    ElasticsearchDestinationUpdate: Unsupported,
    AmazonopensearchserviceDestinationUpdate: Unsupported,
    SplunkDestinationUpdate: Unsupported,
    SnowflakeDestinationUpdate: Unsupported,
    IcebergDestinationUpdate: Unsupported,
  }),
  PutRecord: obj({ DeliveryStreamName, Record: obj({ Data: Type.String() }) }),
  PutRecordBatch: obj({ DeliveryStreamName, Records: Type.Array(obj({ Data: Type.String() }), { minItems: 1, maxItems: 500 }) }),
  TagDeliveryStream: obj({ DeliveryStreamName, Tags: Type.Array(Tag, { minItems: 1, maxItems: 50 }) }),
  UntagDeliveryStream: obj({ DeliveryStreamName, TagKeys: Type.Array(Str(1, 128), { minItems: 1, maxItems: 50 }) }),
  ListTagsForDeliveryStream: obj({
    DeliveryStreamName,
    ExclusiveStartTagKey: opt(Str(1, 128)),
    Limit: opt(Type.Integer({ minimum: 1, maximum: 50 })),
  }),
};

export type CreateDeliveryStreamInput = Static<typeof Schemas.CreateDeliveryStream>;
export type UpdateDestinationInput = Static<typeof Schemas.UpdateDestination>;
