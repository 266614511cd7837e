/**
 * compilePlan(): turns a delivery stream's configuration (AWS shapes) into the DeliveryPlan the
 * runtime executes, and refuses what AWS refuses, as InvalidArgumentException. It is run at
 * CreateDeliveryStream and UpdateDestination (so bad configs never get stored) and at startup.
 * It owns the defaults: buffering 5 MiB / 300 s, Lambda retries 3, HTTP retry 300 s, Redshift 3600 s.
 */
import { RivuletError } from '@rivulet/shared';
import type { FirehoseConfig } from '../config.js';
import { compressionExtension, type CompressionFormat } from './encode/compression.js';
import { validateParquetSchema, type ParquetColumn } from './encode/parquet.js';
import type { HttpEndpointTarget } from './destinations/http-endpoint.js';
import type { ObjectSink } from './destinations/object-sink.js';
import { parseJdbcUrl, type PostgresTarget } from './destinations/postgres.js';
import type { DeliveryStreamDoc, DestinationDoc } from './model.js';
import { compileMetadataQuery, type MetadataQuery } from './processing/partitioning.js';
import { validatePrefixes } from './processing/prefix.js';
import { resolveFunction, type FunctionTarget } from './processing/transform.js';
import type { S3DestinationConfiguration } from './schemas.js';

const MiB = 1024 * 1024;

export interface ObjectTarget {
  bucket: string;
  sink: ObjectSink;
  prefix: string | undefined;
  errorPrefix: string | undefined;
  compression: CompressionFormat;
  /** Appended to object names: FileExtension, else the compression's own (.gz, .zip, ...). */
  extension: string;
}

export interface LambdaStep {
  target: FunctionTarget;
  functionArn: string;
  numberOfRetries: number;
  bufferBytes: number;
}

export type DestinationPlan =
  | { kind: 'objects'; target: ObjectTarget; parquet: { columns: ParquetColumn[]; compression: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' } | null }
  | { kind: 'http'; target: HttpEndpointTarget }
  | { kind: 'postgres'; target: PostgresTarget; retryDurationMs: number };

export interface DeliveryPlan {
  bufferBytes: number;
  bufferIntervalMs: number;
  deaggregation: { subRecordType: 'JSON' | 'DELIMITED'; delimiter: Buffer | undefined } | null;
  lambda: LambdaStep | null;
  metadataQuery: MetadataQuery | null;
  /** AppendDelimiterToRecord: a newline after each record. */
  appendDelimiter: Buffer | null;
  dynamicPartitioning: boolean;
  destination: DestinationPlan;
  /** Where error output lands (ExtendedS3: its own bucket; others: S3Configuration). */
  errors: ObjectTarget;
  /** Source record backup: every incoming record (all) or only failed deliveries (HTTP FailedDataOnly). */
  backup: { target: ObjectTarget; mode: 'all' } | null;
}

/** Builds or reuses the ObjectSink for a bucket name (config.firehose.buckets, else a directory). */
export type SinkResolver = (bucket: string) => ObjectSink;

const invalid = (message: string) => new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message });

/** S3 bucket naming: 3-63 of [a-z0-9.-], starting and ending with a letter or digit, no "..". */
export function bucketFromArn(arn: string): string {
  const name = /^arn:[^:]*:s3:::(.+)$/.exec(arn)?.[1] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes('..')) throw invalid(`BucketARN ${arn} does not name a valid bucket`);
  return name;
}

function objectTarget(cfg: S3DestinationConfiguration, sinks: SinkResolver, extension?: string): ObjectTarget {
  const bucket = bucketFromArn(cfg.BucketARN);
  const compression = cfg.CompressionFormat ?? 'UNCOMPRESSED';
  return { bucket, sink: sinks(bucket), prefix: cfg.Prefix || undefined, errorPrefix: cfg.ErrorOutputPrefix || undefined, compression, extension: extension ?? compressionExtension(compression) };
}

function bufferingOf(hints: { SizeInMBs?: number; IntervalInSeconds?: number } | undefined) {
  return { bufferBytes: (hints?.SizeInMBs ?? 5) * MiB, bufferIntervalMs: (hints?.IntervalInSeconds ?? 300) * 1000 };
}

type ProcessingConfig = NonNullable<NonNullable<Extract<DestinationDoc, { kind: 'extendedS3' }>['config']['ProcessingConfiguration']>>;

function processorSteps(processing: ProcessingConfig | undefined, firehose: FirehoseConfig) {
  const steps = { deaggregation: null as DeliveryPlan['deaggregation'], lambda: null as LambdaStep | null, metadataQuery: null as MetadataQuery | null, appendDelimiter: null as Buffer | null };
  if (!processing?.Enabled) return steps;
  for (const p of processing.Processors ?? []) {
    const params = new Map((p.Parameters ?? []).map((x) => [x.ParameterName, x.ParameterValue]));
    switch (p.Type) {
      case 'Lambda': {
        const arn = params.get('LambdaArn');
        if (!arn) throw invalid('The Lambda processor requires the LambdaArn parameter.');
        const retries = Number(params.get('NumberOfRetries') ?? 3);
        if (!Number.isInteger(retries) || retries < 0 || retries > 300) throw invalid('NumberOfRetries must be an integer between 0 and 300.');
        const mb = Number(params.get('BufferSizeInMBs') ?? 1);
        if (!(mb >= 0.2 && mb <= 3)) throw invalid('BufferSizeInMBs for the Lambda processor must be between 0.2 and 3.');
        steps.lambda = { target: resolveFunction(arn, firehose.functions), functionArn: arn, numberOfRetries: retries, bufferBytes: Math.round(mb * MiB) };
        break;
      }
      case 'MetadataExtraction': {
        const query = params.get('MetadataExtractionQuery');
        if (!query) throw invalid('The MetadataExtraction processor requires the MetadataExtractionQuery parameter.');
        const engine = params.get('JsonParsingEngine') ?? 'JQ-1.6';
        if (engine !== 'JQ-1.6') throw invalid(`JsonParsingEngine ${engine} is not supported; use JQ-1.6.`);
        steps.metadataQuery = compileMetadataQuery(query);
        break;
      }
      case 'RecordDeAggregation': {
        const type = params.get('SubRecordType') ?? 'JSON';
        if (type !== 'JSON' && type !== 'DELIMITED') throw invalid('SubRecordType must be JSON or DELIMITED.');
        const delimiter = params.get('Delimiter');
        if (type === 'DELIMITED' && !delimiter) throw invalid('A DELIMITED RecordDeAggregation processor requires the Delimiter parameter.');
        steps.deaggregation = { subRecordType: type, delimiter: delimiter ? Buffer.from(delimiter, 'base64') : undefined };
        break;
      }
      case 'AppendDelimiterToRecord':
        steps.appendDelimiter = Buffer.from(params.get('Delimiter') ? Buffer.from(params.get('Delimiter')!, 'base64') : '\n');
        break;
      default:
        throw invalid(`Processor type ${p.Type} is not supported by Rivulet.`);
    }
  }
  return steps;
}

/** Validates and compiles. `sinks` may be a resolver that only checks names (create-time validation). */
export function compilePlan(doc: Pick<DeliveryStreamDoc, 'destination'>, firehose: FirehoseConfig, sinks: SinkResolver): DeliveryPlan {
  const dest = doc.destination;
  if (dest.kind === 'extendedS3') {
    const c = dest.config;
    const dynamic = c.DynamicPartitioningConfiguration?.Enabled === true;
    validatePrefixes(c.Prefix, c.ErrorOutputPrefix, { dynamicPartitioning: dynamic });
    const steps = processorSteps(c.ProcessingConfiguration, firehose);
    if (steps.metadataQuery && !dynamic) throw invalid('MetadataExtraction processor requires dynamic partitioning to be enabled.');
    let parquet: Extract<DestinationPlan, { kind: 'objects' }>['parquet'] = null;
    const conv = c.DataFormatConversionConfiguration;
    if (conv && conv.Enabled !== false) {
      const serializer = conv.OutputFormatConfiguration?.Serializer;
      if (!serializer?.ParquetSerDe) throw invalid('Only the ParquetSerDe output serializer is supported.');
      const table = `${conv.SchemaConfiguration?.DatabaseName ?? ''}.${conv.SchemaConfiguration?.TableName ?? ''}`;
      const entry = firehose.tables[table];
      if (!entry) throw invalid(`The table ${table} is not in the server's firehose.tables catalog.`);
      validateParquetSchema(entry.columns);
      if ((c.CompressionFormat ?? 'UNCOMPRESSED') !== 'UNCOMPRESSED') throw invalid('CompressionFormat must be UNCOMPRESSED when data format conversion is enabled; use the serializer compression.');
      parquet = { columns: entry.columns, compression: serializer.ParquetSerDe.Compression ?? 'SNAPPY' };
    }
    const target = objectTarget(c, sinks, c.FileExtension ?? (parquet ? '.parquet' : undefined));
    return {
      ...bufferingOf(c.BufferingHints),
      ...steps,
      dynamicPartitioning: dynamic,
      destination: { kind: 'objects', target, parquet },
      errors: target,
      backup: c.S3BackupMode === 'Enabled' ? { target: backupTarget(c.S3BackupConfiguration, sinks), mode: 'all' } : null,
    };
  }
  if (dest.kind === 'http') {
    const c = dest.config;
    const errors = objectTarget(c.S3Configuration, sinks);
    const steps = processorSteps(c.ProcessingConfiguration, firehose);
    if (steps.metadataQuery) throw invalid('Dynamic partitioning is only supported for Amazon S3 destinations.');
    const attrs: Record<string, string> = {};
    for (const a of c.RequestConfiguration?.CommonAttributes ?? []) attrs[a.AttributeName] = a.AttributeValue;
    return {
      ...bufferingOf({ SizeInMBs: c.BufferingHints?.SizeInMBs ?? 5, IntervalInSeconds: c.BufferingHints?.IntervalInSeconds ?? 300 }),
      ...steps,
      dynamicPartitioning: false,
      destination: {
        kind: 'http',
        target: {
          url: c.EndpointConfiguration.Url,
          name: c.EndpointConfiguration.Name,
          accessKey: c.EndpointConfiguration.AccessKey,
          commonAttributes: attrs,
          contentEncoding: c.RequestConfiguration?.ContentEncoding ?? 'NONE',
          retryDurationMs: (c.RetryOptions?.DurationInSeconds ?? 300) * 1000,
          requestTimeoutMs: 180_000,
        },
      },
      errors,
      backup: c.S3BackupMode === 'AllData' ? { target: errors, mode: 'all' } : null,
    };
  }
  const c = dest.config;
  const errors = objectTarget(c.S3Configuration, sinks);
  const steps = processorSteps(c.ProcessingConfiguration, firehose);
  if (steps.metadataQuery) throw invalid('Dynamic partitioning is only supported for Amazon S3 destinations.');
  parseJdbcUrl(c.ClusterJDBCURL);
  const columns = (c.CopyCommand.DataTableColumns ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    ...bufferingOf(c.S3Configuration.BufferingHints),
    ...steps,
    dynamicPartitioning: false,
    destination: {
      kind: 'postgres',
      target: { jdbcUrl: c.ClusterJDBCURL, username: c.Username ?? '', password: c.Password ?? '', table: c.CopyCommand.DataTableName, columns, copyOptions: c.CopyCommand.CopyOptions ?? '' },
      retryDurationMs: (c.RetryOptions?.DurationInSeconds ?? 3600) * 1000,
    },
    errors,
    backup: c.S3BackupMode === 'Enabled' ? { target: backupTarget(c.S3BackupConfiguration, sinks), mode: 'all' } : null,
  };
}

function backupTarget(cfg: S3DestinationConfiguration | undefined, sinks: SinkResolver): ObjectTarget {
  if (!cfg) throw invalid('S3BackupConfiguration is required when S3BackupMode is Enabled.');
  return objectTarget(cfg, sinks);
}
