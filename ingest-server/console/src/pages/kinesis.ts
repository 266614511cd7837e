/** Data Streams calls shared by the Streams and Analytics pages (paging handled here). */
import { awsJson } from '../api.js';
import type { GetRecordsOutput, ListShardsOutput, ListStreamsOutput, Shard } from './kinesis-types.js';

export async function listStreamNames(): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  for (;;) {
    const page = await awsJson<ListStreamsOutput>('streams', 'ListStreams', start ? { ExclusiveStartStreamName: start, Limit: 100 } : { Limit: 100 });
    names.push(...page.StreamNames);
    if (!page.HasMoreStreams || page.StreamNames.length === 0) return names;
    start = page.StreamNames[page.StreamNames.length - 1];
  }
}

/** Every shard, open and closed, so a reshard's lineage shows. */
export async function listAllShards(streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await awsJson<ListShardsOutput>('streams', 'ListShards', token ? { NextToken: token } : { StreamName: streamName });
    shards.push(...page.Shards);
    token = page.NextToken;
  } while (token);
  return shards;
}

export type IteratorStart =
  | { type: 'LATEST' }
  | { type: 'TRIM_HORIZON' }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AT_TIMESTAMP'; timestampMs: number };

export async function shardIterator(streamName: string, shardId: string, start: IteratorStart): Promise<string> {
  const body: Record<string, unknown> = { StreamName: streamName, ShardId: shardId, ShardIteratorType: start.type };
  if (start.type === 'AT_SEQUENCE_NUMBER') body.StartingSequenceNumber = start.sequenceNumber;
  if (start.type === 'AT_TIMESTAMP') body.Timestamp = start.timestampMs / 1000;
  const out = await awsJson<{ ShardIterator: string }>('streams', 'GetShardIterator', body);
  return out.ShardIterator;
}

export function getRecords(iterator: string, limit: number): Promise<GetRecordsOutput> {
  return awsJson<GetRecordsOutput>('streams', 'GetRecords', { ShardIterator: iterator, Limit: limit });
}
