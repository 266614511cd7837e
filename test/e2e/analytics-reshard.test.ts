/**
 * An application's input across a reshard: records put before a SplitShard (into the parent)
 * and after it (into the children) are all counted once, and a MergeShards later changes nothing.
 */
import { ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { createApplication, createStreams, eventually, jsonSchema, readStream, startApplication, streamOutput } from '../harness/analytics.js';
import { stockAnalytics, stockKinesis } from '../harness/clients.js';
import { startIngest, type IngestProcess } from '../harness/ingest.js';

let proc: IngestProcess | undefined;
afterAll(async () => {
  await proc?.kill();
  proc?.cleanup();
});

const CODE = `CREATE OR REPLACE STREAM "TOTALS" (device VARCHAR(8), n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "TOTALS"
  SELECT STREAM device, COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY device, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`;

async function put(k: KinesisClient, from: number, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ PartitionKey: `key-${from + i}`, Data: Buffer.from(JSON.stringify({ device: `d${(from + i) % 4}` })) }));
  expect((await k.send(new PutRecordsCommand({ StreamName: 'readings', Records: records }))).FailedRecordCount).toBe(0);
}

describe('Analytics input across a reshard', () => {
  it('counts every record once across a split and a merge', async () => {
    proc = await startIngest();
    const k = stockKinesis(proc.endpoint);
    const kda = stockAnalytics(proc.endpoint);
    await createStreams(k, [['readings', 1], ['totals', 1]]);
    await createApplication(kda, { name: 'totals', code: CODE, input: 'readings', schema: jsonSchema([['DEVICE', 'VARCHAR(8)']]), outputs: [streamOutput('TOTALS', 'totals')] });
    await startApplication(kda, 'totals');

    await put(k, 0, 200);
    await k.send(new SplitShardCommand({ StreamName: 'readings', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
    await put(k, 200, 200);
    const { Shards = [] } = await k.send(new ListShardsCommand({ StreamName: 'readings' }));
    const children = Shards.filter((s) => s.ParentShardId === 'shardId-000000000000').map((s) => s.ShardId!).sort();
    expect(children).toHaveLength(2);
    await k.send(new MergeShardsCommand({ StreamName: 'readings', ShardToMerge: children[0]!, AdjacentShardToMerge: children[1]! }));
    await put(k, 400, 200);

    const rows = await eventually(
      async () => (await readStream(k, 'totals')).map((r) => JSON.parse(r.data) as { DEVICE: string; N: number }),
      (list) => list.reduce((n, r) => n + r.N, 0) >= 600,
      20_000,
    );
    const perDevice = new Map<string, number>();
    for (const r of rows) perDevice.set(r.DEVICE, (perDevice.get(r.DEVICE) ?? 0) + r.N);
    expect(Object.fromEntries([...perDevice].sort())).toEqual({ d0: 150, d1: 150, d2: 150, d3: 150 });
    k.destroy();
    kda.destroy();
  });
});
