/**
 * The persisted shape of a delivery stream (one JSON document per stream in the FirehoseStore)
 * and of a cut batch. Schema first: the types come from these TypeBox schemas. The destination
 * keeps the configuration as the caller gave it (AWS shapes), so Describe can echo it back.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ExtendedS3DestinationConfiguration, HttpEndpointDestinationConfiguration, RedshiftDestinationConfiguration } from './schemas.js';

/** Firehose names its one destination like this. */
export const DESTINATION_ID = 'destinationId-000000000001';

export const DestinationDoc = Type.Union([
  Type.Object({ kind: Type.Literal('extendedS3'), config: ExtendedS3DestinationConfiguration }),
  Type.Object({ kind: Type.Literal('http'), config: HttpEndpointDestinationConfiguration }),
  Type.Object({ kind: Type.Literal('redshift'), config: RedshiftDestinationConfiguration }),
]);
export type DestinationDoc = Static<typeof DestinationDoc>;

export const SourceDoc = Type.Object({
  streamArn: Type.String(),
  streamName: Type.String(),
  roleArn: Type.String(),
  /** Shards with no checkpoint are read from this time: "LATEST" as of CreateDeliveryStream. */
  startMs: Type.Number(),
});
export type SourceDoc = Static<typeof SourceDoc>;

export const DeliveryStreamDoc = Type.Object({
  name: Type.String(),
  /** Unique per incarnation: a re-created stream never sees its predecessor's records. */
  id: Type.String(),
  arn: Type.String(),
  type: Type.Union([Type.Literal('DirectPut'), Type.Literal('KinesisStreamAsSource')]),
  source: Type.Optional(SourceDoc),
  createdMs: Type.Number(),
  updatedMs: Type.Number(),
  version: Type.Integer({ minimum: 1 }),
  destination: DestinationDoc,
  tags: Type.Record(Type.String(), Type.String()),
  encryption: Type.Optional(Type.Object({ keyType: Type.String(), keyArn: Type.Optional(Type.String()) })),
});
export type DeliveryStreamDoc = Static<typeof DeliveryStreamDoc>;

/**
 * A batch cut from a buffer: its records sit in a batch file until delivered. Everything that
 * names the delivery (id, object key parts, prefix with its random string) is fixed at the cut,
 * so a retry after a crash or a timeout delivers under the same name and request id.
 */
export const BatchDoc = Type.Object({
  seq: Type.Integer({ minimum: 0 }),
  /** Stable id: the HTTP request id, the Postgres batch id, and the object name's uuid. */
  id: Type.String(),
  /** data: to the destination; error: an error-output object; backup: source record backup. */
  kind: Type.Union([Type.Literal('data'), Type.Literal('error'), Type.Literal('backup')]),
  /** The rendered prefix (data/backup) or error prefix, fixed at the cut. */
  prefix: Type.String(),
  errorOutputType: Type.Optional(Type.String()),
  oldestArrivalMs: Type.Number(),
  createdMs: Type.Number(),
  records: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  /** Destination version the batch was cut under: Describe and the object name use it. */
  version: Type.Integer({ minimum: 1 }),
  /**
   * Set when the batch is whole chunks (no processing): their records stay in the chunks, which
   * the batch owns, and there is no batch file. Otherwise the records are in the batch file.
   */
  chunks: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
});
export type BatchDoc = Static<typeof BatchDoc>;
