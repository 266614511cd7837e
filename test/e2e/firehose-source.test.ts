/**
 * KinesisStreamAsSource: a delivery stream reading a Rivulet data stream. Records put into the
 * stream (before a restart, across a reshard, and while the server is down) all reach the bucket,
 * none twice; PutRecord on a stream-sourced delivery stream is refused as AWS refuses it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordCommand as FirehosePut } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, PutRecordsCommand, SplitShardCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { stockFirehose, stockKinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { bucketLines } from '../harness/buckets.js';

const procs: IngestProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill();
  procs[0]?.cleanup();
});

function deliveredIds(root: string): string[] {
  return bucketLines(root).map((line) => (JSON.parse(line) as { id: string }).id);
}

async function putIds(endpoint: string, ids: string[]): Promise<void> {
  const k = stockKinesis(endpoint);
  for (let i = 0; i < ids.length; i += 100) {
    const out = await k.send(new PutRecordsCommand({ StreamName: 'src', Records: ids.slice(i, i + 100).map((id) => ({ PartitionKey: id, Data: Buffer.from(`${JSON.stringify({ id })}\n`) })) }));
    expect(out.FailedRecordCount).toBe(0);
  }
  k.destroy();
}

async function waitForIds(root: string, want: string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let got = deliveredIds(root);
  while (want.some((id) => !got.includes(id)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    got = deliveredIds(root);
  }
  return got;
}

describe('Firehose with a data stream as its source', () => {
  it('delivers everything put into the stream, across a reshard and a restart, none twice', async () => {
    const dataDir = tempDir('rivulet-fh-src-');
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ firehose: { sourcePollIntervalMs: 200 } }));
    const root = join(dataDir, 'firehose', 'buckets', 'src-bucket');
    let proc = await startIngest({ dataDir, args: ['--config', config] });
    procs.push(proc);
    const k = stockKinesis(proc.endpoint);
    await k.send(new CreateStreamCommand({ StreamName: 'src', ShardCount: 2 }));
    await waitUntilStreamExists({ client: k, maxWaitTime: 30 }, { StreamName: 'src' });
    // Records from before the delivery stream exists are not read: Firehose starts at LATEST.
    await putIds(proc.endpoint, ['before-0', 'before-1']);
    await new Promise((r) => setTimeout(r, 50));
    const fh = stockFirehose(proc.endpoint);
    await fh.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'from-src',
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/src', RoleARN: 'arn:aws:iam::000000000000:role/r' },
        ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::src-bucket', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
      }),
    );
    const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'from-src' }))).DeliveryStreamDescription!;
    expect(d.Source?.KinesisStreamSourceDescription?.KinesisStreamARN).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/src');
    await expect(fh.send(new FirehosePut({ DeliveryStreamName: 'from-src', Record: { Data: Buffer.from('x') } }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });

    const first = Array.from({ length: 300 }, (_, i) => `a-${i}`);
    await putIds(proc.endpoint, first);
    await waitForIds(root, first);
    // Reshard: records keep flowing from the children once the parent is read to its end.
    await k.send(new SplitShardCommand({ StreamName: 'src', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 126n).toString() }));
    const second = Array.from({ length: 300 }, (_, i) => `b-${i}`);
    await putIds(proc.endpoint, second);
    await waitForIds(root, second);
    k.destroy();
    fh.destroy();

    // Put more, kill -9 before (or while) they are read, then restart: nothing is skipped.
    const third = Array.from({ length: 300 }, (_, i) => `c-${i}`);
    await putIds(proc.endpoint, third);
    await proc.kill();
    proc = await startIngest({ dataDir, args: ['--config', config] });
    procs.push(proc);
    const fourth = Array.from({ length: 100 }, (_, i) => `d-${i}`);
    await putIds(proc.endpoint, fourth);
    const all = [...first, ...second, ...third, ...fourth];
    const got = await waitForIds(root, all);
    expect(all.filter((id) => !got.includes(id))).toEqual([]);
    expect(got.filter((id) => id.startsWith('before-'))).toEqual([]);
    expect(got.length).toBe(all.length);
    expect(await proc.stop()).toBe(0);
  }, 120_000);
});
