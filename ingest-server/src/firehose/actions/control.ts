/** CreateDeliveryStream, DeleteDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, UpdateDestination. */
import { RivuletError } from '@rivulet/shared';
import { DESTINATION_ID, type DeliveryStreamDoc, type DestinationDoc } from '../model.js';
import { Schemas, type CreateDeliveryStreamInput, type UpdateDestinationInput } from '../schemas.js';
import { firehoseAction } from './define.js';
import { describeDeliveryStream } from './describe.js';
import { checkTagKeys } from './tags.js';

const invalid = (message: string) => new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message });

const UNSUPPORTED = [
  'ElasticsearchDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'SnowflakeDestinationConfiguration',
  'IcebergDestinationConfiguration',
] as const;

function destinationOf(input: CreateDeliveryStreamInput): DestinationDoc {
  for (const key of UNSUPPORTED) if (input[key] !== undefined) throw invalid(`${key} is not supported by Rivulet; use ExtendedS3, HttpEndpoint or Redshift (PostgreSQL).`);
  const given: DestinationDoc[] = [];
  if (input.S3DestinationConfiguration) given.push({ kind: 'extendedS3', config: input.S3DestinationConfiguration });
  if (input.ExtendedS3DestinationConfiguration) given.push({ kind: 'extendedS3', config: input.ExtendedS3DestinationConfiguration });
  if (input.HttpEndpointDestinationConfiguration) given.push({ kind: 'http', config: input.HttpEndpointDestinationConfiguration });
  if (input.RedshiftDestinationConfiguration) given.push({ kind: 'redshift', config: input.RedshiftDestinationConfiguration });
  if (given.length !== 1) throw invalid('Exactly one destination configuration must be specified.');
  return given[0]!;
}

export const createDeliveryStream = firehoseAction('CreateDeliveryStream', Schemas.CreateDeliveryStream, async (svc, input) => {
  const type = input.DeliveryStreamType ?? 'DirectPut';
  if (type === 'MSKAsSource' || type === 'DatabaseAsSource' || input.MSKSourceConfiguration !== undefined) throw invalid(`DeliveryStreamType ${type} is not supported by Rivulet.`);
  if ((type === 'KinesisStreamAsSource') !== (input.KinesisStreamSourceConfiguration !== undefined)) {
    throw invalid('KinesisStreamSourceConfiguration is required for, and only allowed with, DeliveryStreamType KinesisStreamAsSource.');
  }
  const now = svc.deps.clock.now();
  const tags: Record<string, string> = {};
  if (input.Tags) checkTagKeys(input.Tags.map((t) => t.Key));
  for (const t of input.Tags ?? []) tags[t.Key] = t.Value ?? '';
  let source: DeliveryStreamDoc['source'];
  if (input.KinesisStreamSourceConfiguration) {
    const { KinesisStreamARN, RoleARN } = input.KinesisStreamSourceConfiguration;
    source = { streamArn: KinesisStreamARN, streamName: KinesisStreamARN.slice(KinesisStreamARN.indexOf(':stream/') + 8), roleArn: RoleARN, startMs: now };
  }
  // Accepting the setting without encrypting the buffered records would misreport; refuse it.
  if (input.DeliveryStreamEncryptionConfigurationInput) {
    throw invalid('Server-side encryption of delivery streams is not supported by Rivulet: buffered records are stored unencrypted. Encrypt the data directory, or encrypt the source data stream (StartStreamEncryption).');
  }
  await svc.create({
    name: input.DeliveryStreamName,
    id: svc.newStreamId(),
    arn: svc.arnFor(input.DeliveryStreamName),
    type,
    ...(source ? { source } : {}),
    createdMs: now,
    updatedMs: now,
    version: 1,
    destination: destinationOf(input),
    tags,
  });
  return { DeliveryStreamARN: svc.arnFor(input.DeliveryStreamName) };
});

export const deleteDeliveryStream = firehoseAction('DeleteDeliveryStream', Schemas.DeleteDeliveryStream, async (svc, input) => {
  await svc.delete(input.DeliveryStreamName);
  return {};
});

export const describeDeliveryStreamAction = firehoseAction('DescribeDeliveryStream', Schemas.DescribeDeliveryStream, async (svc, input) => {
  const doc = svc.docOf(input.DeliveryStreamName);
  return { DeliveryStreamDescription: describeDeliveryStream(doc, svc.failureOf(input.DeliveryStreamName)) };
});

export const listDeliveryStreams = firehoseAction('ListDeliveryStreams', Schemas.ListDeliveryStreams, async (svc, input) => {
  const limit = input.Limit ?? 10;
  const names = svc
    .docs()
    .filter((d) => input.DeliveryStreamType === undefined || d.type === input.DeliveryStreamType)
    .map((d) => d.name)
    .filter((n) => input.ExclusiveStartDeliveryStreamName === undefined || n > input.ExclusiveStartDeliveryStreamName);
  return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
});

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Firehose merges an update into the destination: fields not given keep their values. */
function merge(base: Json, update: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(update)) out[k] = isObject(v) && isObject(base[k]) ? merge(base[k], v) : v;
  return out;
}

function updatedDestination(current: DestinationDoc, input: UpdateDestinationInput): DestinationDoc {
  for (const key of ['ElasticsearchDestinationUpdate', 'AmazonopensearchserviceDestinationUpdate', 'SplunkDestinationUpdate', 'SnowflakeDestinationUpdate', 'IcebergDestinationUpdate'] as const) {
    if (input[key] !== undefined) throw invalid(`${key} is not supported by Rivulet.`);
  }
  const updates = [
    input.S3DestinationUpdate && { kind: 'extendedS3', u: input.S3DestinationUpdate },
    input.ExtendedS3DestinationUpdate && { kind: 'extendedS3', u: input.ExtendedS3DestinationUpdate },
    input.HttpEndpointDestinationUpdate && { kind: 'http', u: input.HttpEndpointDestinationUpdate },
    input.RedshiftDestinationUpdate && { kind: 'redshift', u: input.RedshiftDestinationUpdate },
  ].filter(Boolean) as { kind: DestinationDoc['kind']; u: Json }[];
  if (updates.length !== 1) throw invalid('Exactly one destination update must be specified.');
  const { kind, u } = updates[0]!;
  if (kind !== current.kind) throw invalid(`The destination is ${current.kind}; changing the destination type is not supported by Rivulet.`);
  return { kind, config: merge(current.config as Json, u) } as DestinationDoc;
}

export const updateDestination = firehoseAction('UpdateDestination', Schemas.UpdateDestination, async (svc, input) => {
  const current = svc.docOf(input.DeliveryStreamName);
  if (input.CurrentDeliveryStreamVersionId !== String(current.version)) {
    throw new RivuletError('FIREHOSE_CONCURRENT_MODIFICATION', { message: `Cannot update firehose: ${current.name} since the current version id: ${current.version} and specified version id: ${input.CurrentDeliveryStreamVersionId} do not match` });
  }
  if (input.DestinationId !== DESTINATION_ID) throw invalid(`Destination ${input.DestinationId} not found. The destination is ${DESTINATION_ID}.`);
  const doc: DeliveryStreamDoc = { ...current, destination: updatedDestination(current.destination, input), version: current.version + 1, updatedMs: svc.deps.clock.now() };
  await svc.update(doc);
  return {};
});
