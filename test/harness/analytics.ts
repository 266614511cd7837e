/**
 * Helpers for Analytics end-to-end tests: ARNs, an input schema in the API's shape, an
 * application's Kinesis stream input and outputs, creating the streams, creating and starting an
 * application, waiting for an application's state, and reading a whole stream back with each
 * record's arrival time.
 */
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, waitUntilStreamExists, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateApplicationCommand,
  DescribeApplicationCommand,
  StartApplicationCommand,
  type CreateApplicationCommandOutput,
  type InputStartingPosition,
  type KinesisAnalyticsClient,
  type Output,
  type RecordFormatType,
  type SourceSchema,
} from '@aws-sdk/client-kinesis-analytics';

export const ACCOUNT = '000000000000';
export const streamArn = (name: string) => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`;
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/rivulet-test`;

/** A JSON input schema: each column maps `$.<name in lower case>`. */
export function jsonSchema(columns: [name: string, sqlType: string][]) {
  return {
    RecordFormat: { RecordFormatType: 'JSON' as const, MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } },
    RecordEncoding: 'UTF-8',
    RecordColumns: columns.map(([Name, SqlType]) => ({ Name, SqlType, Mapping: `$.${Name.toLowerCase()}` })),
  };
}

/** An application input reading the Kinesis stream `stream` as SOURCE_SQL_STREAM_001. */
export function streamInput(stream: string, schema: SourceSchema) {
  return { NamePrefix: 'SOURCE_SQL_STREAM', KinesisStreamsInput: { ResourceARN: streamArn(stream), RoleARN: ROLE }, InputSchema: schema };
}

/** An application output writing the in-application stream `name` to the Kinesis stream `stream`. */
export function streamOutput(name: string, stream: string, format: RecordFormatType = 'JSON') {
  return { Name: name, KinesisStreamsOutput: { ResourceARN: streamArn(stream), RoleARN: ROLE }, DestinationSchema: { RecordFormatType: format } };
}

/** CreateApplication: `code` reading the Kinesis stream `input` with `schema`, writing `outputs` when given. */
export function createApplication(
  client: KinesisAnalyticsClient,
  app: { name: string; code: string; input: string; schema: SourceSchema; outputs?: Output[] },
): Promise<CreateApplicationCommandOutput> {
  return client.send(
    new CreateApplicationCommand({
      ApplicationName: app.name,
      ApplicationCode: app.code,
      Inputs: [streamInput(app.input, app.schema)],
      ...(app.outputs ? { Outputs: app.outputs } : {}),
    }),
  );
}

/** Creates each [name, shard count] stream in turn and waits until it exists. */
export async function createStreams(client: KinesisClient, streams: readonly (readonly [name: string, shards: number])[]): Promise<void> {
  for (const [name, shards] of streams) {
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: name });
  }
}

/**
 * Starts application `name` reading its input from `position` (TRIM_HORIZON unless given): the
 * input `inputId`, or else its first one, looked up. Returns the input id.
 */
export async function startApplication(
  client: KinesisAnalyticsClient,
  name: string,
  options: { inputId?: string; position?: InputStartingPosition } = {},
): Promise<string> {
  const inputId = options.inputId ?? (await client.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!.InputDescriptions![0]!.InputId!;
  await client.send(new StartApplicationCommand({ ApplicationName: name, InputConfigurations: [{ Id: inputId, InputStartingPositionConfiguration: { InputStartingPosition: options.position ?? 'TRIM_HORIZON' } }] }));
  return inputId;
}

export interface StreamRecord {
  data: string;
  arrivalMs: number;
  shardId: string;
  sequenceNumber: string;
}

/** Every record of every shard from TRIM_HORIZON to the tip (no resharding in these tests). */
export async function readStream(client: KinesisClient, stream: string): Promise<StreamRecord[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const out: StreamRecord[] = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of page.Records ?? []) {
        out.push({ data: new TextDecoder().decode(r.Data), arrivalMs: r.ApproximateArrivalTimestamp!.getTime(), shardId: shard.ShardId!, sequenceNumber: r.SequenceNumber! });
      }
      iterator = page.NextShardIterator;
      if ((page.Records ?? []).length === 0) break;
    }
  }
  return out;
}

/** Polls `read` until `done` holds for its result or the time runs out; returns the last result. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

export async function appStatus(client: KinesisAnalyticsClient, name: string): Promise<string | undefined> {
  const out = await client.send(new DescribeApplicationCommand({ ApplicationName: name }));
  return out.ApplicationDetail?.ApplicationStatus;
}
