/**
 * Helpers for Analytics end-to-end tests: ARNs, an input schema in the API's shape, waiting for
 * an application's state, and reading a whole stream back with each record's arrival time.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeApplicationCommand, type KinesisAnalyticsClient } from '@aws-sdk/client-kinesis-analytics';

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
