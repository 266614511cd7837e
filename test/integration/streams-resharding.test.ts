import {
  CreateStreamCommand,
  DescribeStreamCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { readFollowingLineage } from '../harness/consumer.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite({ client: 'http1' });
const enc = (s: string) => new TextEncoder().encode(s);
const KEYS = Array.from({ length: 16 }, (_, i) => `device-${i}`);

/** Puts `rounds` batches; each record's data is "<key>:<n>", n increasing per key. */
async function putRounds(stream: string, from: number, rounds: number): Promise<void> {
  for (let r = from; r < from + rounds; r++) {
    const res = await suite.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: KEYS.map((k) => ({ PartitionKey: k, Data: enc(`${k}:${r}`) })) }));
    expect(res.FailedRecordCount).toBe(0);
  }
}

/** Every record exactly once, and per partition key in put order. */
function expectExactlyOnceInOrder(records: { partitionKey: string; data: string }[], rounds: number): void {
  expect(records).toHaveLength(KEYS.length * rounds);
  const byKey = new Map<string, number[]>();
  for (const r of records) byKey.set(r.partitionKey, [...(byKey.get(r.partitionKey) ?? []), Number(r.data.split(':')[1])]);
  for (const key of KEYS) expect(byKey.get(key)).toEqual(Array.from({ length: rounds }, (_, i) => i));
}

describe('resharding keeps lineage and order', () => {
  it('splits a shard: the parent closes with an ending sequence number and two children cover its range', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'split', ShardCount: 1 }));
    await putRounds('split', 0, 5);
    await suite.kinesis.send(new SplitShardCommand({ StreamName: 'split', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '170141183460469231731687303715884105728' }));
    await putRounds('split', 5, 5);
    const { Shards } = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'split' }));
    expect(Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    expect(Shards![0]!.SequenceNumberRange!.EndingSequenceNumber).toBeTruthy();
    expect(Shards![1]!.ParentShardId).toBe('shardId-000000000000');
    expect(Shards![1]!.HashKeyRange).toEqual({ StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105727' });
    expect(Shards![2]!.HashKeyRange!.StartingHashKey).toBe('170141183460469231731687303715884105728');
    const open = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'split', ShardFilter: { Type: 'AT_LATEST' } }));
    expect(open.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    expectExactlyOnceInOrder(await readFollowingLineage(suite.kinesis, 'split'), 10);
  });

  it('merges two adjacent shards and reads across the merge exactly once, in order', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'merge', ShardCount: 2 }));
    await putRounds('merge', 0, 4);
    await suite.kinesis.send(new MergeShardsCommand({ StreamName: 'merge', ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000001' }));
    await putRounds('merge', 4, 4);
    const { StreamDescription } = await suite.kinesis.send(new DescribeStreamCommand({ StreamName: 'merge' }));
    const child = StreamDescription!.Shards!.find((s) => s.ShardId === 'shardId-000000000002')!;
    expect(child.ParentShardId).toBe('shardId-000000000000');
    expect(child.AdjacentParentShardId).toBe('shardId-000000000001');
    expect(child.HashKeyRange).toEqual({ StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' });
    expectExactlyOnceInOrder(await readFollowingLineage(suite.kinesis, 'merge'), 8);
  });

  it('reads in order across a split followed by a merge', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'both', ShardCount: 1 }));
    await putRounds('both', 0, 3);
    await suite.kinesis.send(new SplitShardCommand({ StreamName: 'both', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '100000000000000000000000000000000000000' }));
    await putRounds('both', 3, 3);
    await suite.kinesis.send(new MergeShardsCommand({ StreamName: 'both', ShardToMerge: 'shardId-000000000002', AdjacentShardToMerge: 'shardId-000000000001' }));
    await putRounds('both', 6, 3);
    expectExactlyOnceInOrder(await readFollowingLineage(suite.kinesis, 'both'), 9);
  });

  it('scales with UpdateShardCount UNIFORM_SCALING, up and down, keeping every shard to two parents', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'scale', ShardCount: 3 }));
    await putRounds('scale', 0, 3);
    const up = await suite.kinesis.send(new UpdateShardCountCommand({ StreamName: 'scale', TargetShardCount: 5, ScalingType: 'UNIFORM_SCALING' }));
    expect(up).toMatchObject({ CurrentShardCount: 3, TargetShardCount: 5 });
    await putRounds('scale', 3, 3);
    await suite.kinesis.send(new UpdateShardCountCommand({ StreamName: 'scale', TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' }));
    await putRounds('scale', 6, 3);
    const open = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'scale', ShardFilter: { Type: 'AT_LATEST' } }));
    expect(open.Shards).toHaveLength(3);
    const starts = open.Shards!.map((s) => BigInt(s.HashKeyRange!.StartingHashKey!));
    const width = (1n << 128n) / 3n;
    expect(starts).toEqual([0n, width, 2n * width]);
    expectExactlyOnceInOrder(await readFollowingLineage(suite.kinesis, 'scale'), 9);
    await expect(suite.kinesis.send(new UpdateShardCountCommand({ StreamName: 'scale', TargetShardCount: 7, ScalingType: 'UNIFORM_SCALING' }))).rejects.toMatchObject({
      name: 'LimitExceededException',
    });
  });

  it('refuses to split a closed shard or merge shards that are not adjacent', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'bad', ShardCount: 3 }));
    await expect(suite.kinesis.send(new MergeShardsCommand({ StreamName: 'bad', ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000002' }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    await suite.kinesis.send(new SplitShardCommand({ StreamName: 'bad', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' }));
    await expect(suite.kinesis.send(new SplitShardCommand({ StreamName: 'bad', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '2000' }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    await expect(suite.kinesis.send(new SplitShardCommand({ StreamName: 'bad', ShardToSplit: 'shardId-000000000001', NewStartingHashKey: '0' }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
    });
    await expect(suite.kinesis.send(new SplitShardCommand({ StreamName: 'bad', ShardToSplit: 'shardId-000000000042', NewStartingHashKey: '5' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
