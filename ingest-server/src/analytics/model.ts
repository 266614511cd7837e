/**
 * The stored shape of an Analytics application, and its rendering as the API's ApplicationDetail.
 *
 * Owns: ApplicationDoc (what the store keeps, schema-first), id assignment for inputs, outputs
 * and reference data sources ("1.1", "2.1", ... as KDA numbers them), and `describeApplication`.
 * Does not own: validation of requests (schemas.ts) or lifecycle rules (service.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { CloudWatchLoggingOption, Input, InputStartingPosition, Output, ReferenceDataSource } from './schemas.js';

export const ApplicationStatus = Type.Union(['DELETING', 'STARTING', 'STOPPING', 'READY', 'RUNNING', 'UPDATING'].map((s) => Type.Literal(s)));

export const ApplicationDoc = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  description: Type.Optional(Type.String()),
  status: ApplicationStatus,
  createdMs: Type.Number(),
  updatedMs: Type.Number(),
  versionId: Type.Integer(),
  code: Type.String(),
  inputs: Type.Array(Type.Composite([Input, Type.Object({ InputId: Type.String() })])),
  outputs: Type.Array(Type.Composite([Output, Type.Object({ OutputId: Type.String() })])),
  references: Type.Array(Type.Composite([ReferenceDataSource, Type.Object({ ReferenceId: Type.String() })])),
  logging: Type.Array(Type.Composite([CloudWatchLoggingOption, Type.Object({ CloudWatchLoggingOptionId: Type.String() })])),
  tags: Type.Record(Type.String(), Type.String()),
  /** Where the input was last started from (StartApplication), for DescribeApplication. */
  startingPosition: Type.Optional(InputStartingPosition),
  /** Where reading started when the input was last (re)started: from now, or the oldest record. */
  inputStart: Type.Optional(Type.Union([Type.Literal('NOW'), Type.Literal('TRIM_HORIZON')])),
  /** When that was: NOW means records arriving from then on. */
  startedMs: Type.Optional(Type.Number()),
  /** Next number for a new id. */
  nextId: Type.Integer(),
});
export type ApplicationDoc = Static<typeof ApplicationDoc>;

/** The in-application stream an input feeds: NamePrefix + "_001" (KDA numbers parallel inputs). */
export function inAppStreamOf(namePrefix: string): string {
  return `${namePrefix}_001`;
}

/** A fresh id, KDA style ("1.1", "2.1", ...). */
export function takeId(doc: ApplicationDoc): string {
  const id = `${doc.nextId}.1`;
  doc.nextId++;
  return id;
}

const seconds = (ms: number) => ms / 1000;

/** DescribeApplication's ApplicationDetail. */
export function describeApplication(doc: ApplicationDoc) {
  return {
    ApplicationName: doc.name,
    ApplicationDescription: doc.description,
    ApplicationARN: doc.arn,
    ApplicationStatus: doc.status,
    CreateTimestamp: seconds(doc.createdMs),
    LastUpdateTimestamp: seconds(doc.updatedMs),
    InputDescriptions: doc.inputs.map((i) => ({
      InputId: i.InputId,
      NamePrefix: i.NamePrefix,
      InAppStreamNames: [inAppStreamOf(i.NamePrefix)],
      InputProcessingConfigurationDescription: i.InputProcessingConfiguration ? { InputLambdaProcessorDescription: i.InputProcessingConfiguration.InputLambdaProcessor } : undefined,
      KinesisStreamsInputDescription: i.KinesisStreamsInput,
      KinesisFirehoseInputDescription: i.KinesisFirehoseInput,
      InputSchema: i.InputSchema,
      InputParallelism: { Count: 1 },
      InputStartingPositionConfiguration: doc.startingPosition ? { InputStartingPosition: doc.startingPosition } : undefined,
    })),
    OutputDescriptions: doc.outputs.map((o) => ({
      OutputId: o.OutputId,
      Name: o.Name,
      KinesisStreamsOutputDescription: o.KinesisStreamsOutput,
      KinesisFirehoseOutputDescription: o.KinesisFirehoseOutput,
      LambdaOutputDescription: o.LambdaOutput,
      DestinationSchema: o.DestinationSchema,
    })),
    ReferenceDataSourceDescriptions: doc.references.map((r) => ({
      ReferenceId: r.ReferenceId,
      TableName: r.TableName,
      S3ReferenceDataSourceDescription: r.S3ReferenceDataSource,
      ReferenceSchema: r.ReferenceSchema,
    })),
    CloudWatchLoggingOptionDescriptions: doc.logging,
    ApplicationCode: doc.code,
    ApplicationVersionId: doc.versionId,
  };
}

/** ListApplications' ApplicationSummary. */
export function summarizeApplication(doc: ApplicationDoc) {
  return { ApplicationName: doc.name, ApplicationARN: doc.arn, ApplicationStatus: doc.status };
}
