/**
 * A KCL-style reader for tests: reads every shard of a stream from TRIM_HORIZON, starts a child
 * only once all its parents are read to their end, and follows ChildShards across reshards.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';

export interface ReadRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
}

export async function readFollowingLineage(client: KinesisClient, stream: string, maxCalls = 10_000): Promise<ReadRecord[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const parentsOf = new Map(Shards.map((s) => [s.ShardId!, [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p)]));
  const known = new Set(parentsOf.keys());
  const done = new Set<string>();
  const started = new Set<string>();
  const out: ReadRecord[] = [];
  let calls = 0;
  const ready = () => [...known].filter((id) => !started.has(id) && (parentsOf.get(id) ?? []).every((p) => done.has(p) || !known.has(p)));
  for (let queue = ready(); queue.length > 0; queue = ready()) {
    for (const shardId of queue) {
      started.add(shardId);
      let { ShardIterator: iterator } = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
      let emptyAtTip = 0;
      while (iterator && calls++ < maxCalls) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        out.push(...(page.Records ?? []).map((r: _Record) => ({ shardId, sequenceNumber: r.SequenceNumber!, partitionKey: r.PartitionKey!, data: new TextDecoder().decode(r.Data) })));
        for (const child of page.ChildShards ?? []) {
          if (!known.has(child.ShardId!)) {
            known.add(child.ShardId!);
            parentsOf.set(child.ShardId!, child.ParentShards ?? []);
          }
        }
        iterator = page.NextShardIterator;
        // An open shard never ends: stop once it is drained.
        if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0 && iterator && ++emptyAtTip >= 2) break;
      }
      done.add(shardId);
    }
  }
  return out;
}
