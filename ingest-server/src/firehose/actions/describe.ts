/**
 * DescribeDeliveryStream's output: the stored configuration as AWS describes it, with defaults
 * filled in and secrets (HTTP access key, Redshift password) left out, plus delivery health.
 */
import { DESTINATION_ID, type DeliveryStreamDoc } from '../model.js';
import type { S3DestinationConfiguration } from '../schemas.js';

const seconds = (ms: number) => ms / 1000;

function s3Description(c: S3DestinationConfiguration) {
  return {
    ...c,
    Prefix: c.Prefix ?? '',
    ErrorOutputPrefix: c.ErrorOutputPrefix ?? '',
    BufferingHints: { SizeInMBs: c.BufferingHints?.SizeInMBs ?? 5, IntervalInSeconds: c.BufferingHints?.IntervalInSeconds ?? 300 },
    CompressionFormat: c.CompressionFormat ?? 'UNCOMPRESSED',
    EncryptionConfiguration: c.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
  };
}

function destinationDescription(doc: DeliveryStreamDoc) {
  const d = doc.destination;
  if (d.kind === 'extendedS3') {
    const c = d.config;
    return {
      DestinationId: DESTINATION_ID,
      S3DestinationDescription: s3Description(c),
      ExtendedS3DestinationDescription: {
        ...s3Description(c),
        S3BackupMode: c.S3BackupMode ?? 'Disabled',
        ...(c.S3BackupConfiguration ? { S3BackupDescription: s3Description(c.S3BackupConfiguration) } : {}),
        S3BackupConfiguration: undefined,
      },
    };
  }
  if (d.kind === 'http') {
    const c = d.config;
    return {
      DestinationId: DESTINATION_ID,
      HttpEndpointDestinationDescription: {
        ...c,
        EndpointConfiguration: { Url: c.EndpointConfiguration.Url, Name: c.EndpointConfiguration.Name },
        BufferingHints: { SizeInMBs: c.BufferingHints?.SizeInMBs ?? 5, IntervalInSeconds: c.BufferingHints?.IntervalInSeconds ?? 300 },
        RequestConfiguration: { ContentEncoding: c.RequestConfiguration?.ContentEncoding ?? 'NONE', CommonAttributes: c.RequestConfiguration?.CommonAttributes ?? [] },
        RetryOptions: { DurationInSeconds: c.RetryOptions?.DurationInSeconds ?? 300 },
        S3BackupMode: c.S3BackupMode ?? 'FailedDataOnly',
        S3DestinationDescription: s3Description(c.S3Configuration),
        S3Configuration: undefined,
      },
    };
  }
  const c = d.config;
  return {
    DestinationId: DESTINATION_ID,
    RedshiftDestinationDescription: {
      ...c,
      Password: undefined,
      RetryOptions: { DurationInSeconds: c.RetryOptions?.DurationInSeconds ?? 3600 },
      S3BackupMode: c.S3BackupMode ?? 'Disabled',
      S3DestinationDescription: s3Description(c.S3Configuration),
      ...(c.S3BackupConfiguration ? { S3BackupDescription: s3Description(c.S3BackupConfiguration) } : {}),
      S3Configuration: undefined,
      S3BackupConfiguration: undefined,
    },
  };
}

/** `failure`: why it is not delivering right now (FirehoseService.failureOf), or null. */
export function describeDeliveryStream(doc: DeliveryStreamDoc, failure: string | null) {
  return {
    DeliveryStreamName: doc.name,
    DeliveryStreamARN: doc.arn,
    DeliveryStreamStatus: 'ACTIVE',
    DeliveryStreamType: doc.type,
    VersionId: String(doc.version),
    CreateTimestamp: seconds(doc.createdMs),
    LastUpdateTimestamp: seconds(doc.updatedMs),
    DeliveryStreamEncryptionConfiguration: doc.encryption ? { KeyType: doc.encryption.keyType, KeyARN: doc.encryption.keyArn, Status: 'ENABLED' } : { Status: 'DISABLED' },
    ...(doc.source ? { Source: { KinesisStreamSourceDescription: { KinesisStreamARN: doc.source.streamArn, RoleARN: doc.source.roleArn, DeliveryStartTimestamp: seconds(doc.source.startMs) } } } : {}),
    ...(failure ? { FailureDescription: { Type: 'UNKNOWN_ERROR', Details: failure } } : {}),
    Destinations: [destinationDescription(doc)],
    HasMoreDestinations: false,
  };
}
