/**
 * Firehose durability: kill -9 the server while producers are putting, with records in open
 * buffers, in cut batches and in flight; restart on the same data directory; every record that
 * PutRecordBatch acknowledged must land in the bucket, and none twice.
 */
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { bucketObjects } from '../harness/buckets.js';

const procs: IngestProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill();
  procs[0]?.cleanup();
});


/** record id -> keys of the objects holding it */
function delivered(root: string): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const [key, body] of bucketObjects(root)) {
    for (const line of body.toString('utf8').split('\n')) {
      if (!line) continue;
      const id = (JSON.parse(line) as { id: string }).id;
      if (!seen.has(id)) seen.set(id, new Set());
      seen.get(id)!.add(key);
    }
  }
  return seen;
}

describe('Firehose through kill -9', () => {
  it('delivers every acknowledged record after a restart, exactly once in the object store', async () => {
    const dataDir = tempDir('rivulet-fh-crash-');
    const bucketRoot = join(dataDir, 'firehose', 'buckets', 'crash-bucket');
    const acked = new Set<string>();
    let serial = 0;
    for (let round = 0; round < 3; round++) {
      const proc = await startIngest({ dataDir });
      procs.push(proc);
      const fh = stockFirehose(proc.endpoint);
      if (round === 0) {
        await fh.send(
          new CreateDeliveryStreamCommand({
            DeliveryStreamName: 'crash',
            ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::crash-bucket', Prefix: 'data/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 2 } },
          }),
        );
      }
      // Four producers put ~2 KiB records until the kill; only acknowledged ones are expected.
      let stop = false;
      const producers = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const batch = Array.from({ length: 50 }, () => `r${round}-${serial++}`);
          try {
            const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'crash', Records: batch.map((id) => ({ Data: Buffer.from(`${JSON.stringify({ id, pad: 'x'.repeat(2000) })}\n`) })) }));
            if (out.FailedPutCount === 0) for (const id of batch) acked.add(id);
          } catch {
            return;
          }
        }
      });
      await new Promise((r) => setTimeout(r, 1500 + round * 700));
      await proc.kill();
      stop = true;
      await Promise.all(producers);
      fh.destroy();
    }
    expect(acked.size).toBeGreaterThan(1000);
    // The last start delivers what the killed ones left: wait past the interval hint.
    const proc = await startIngest({ dataDir });
    procs.push(proc);
    const deadline = Date.now() + 30_000;
    let seen = delivered(bucketRoot);
    while ([...acked].some((id) => !seen.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      seen = delivered(bucketRoot);
    }
    const missing = [...acked].filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
    const twice = [...seen.entries()].filter(([, files]) => files.size > 1);
    expect(twice).toEqual([]);
    expect(await proc.stop()).toBe(0);
  }, 120_000);

  it('flushes open buffers at a graceful shutdown: every record is in the bucket when SIGTERM returns', async () => {
    const dataDir = tempDir('rivulet-fh-term-');
    const proc = await startIngest({ dataDir });
    procs.push(proc);
    const fh = stockFirehose(proc.endpoint);
    await fh.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'term',
        ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::term-bucket', BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 } },
      }),
    );
    const ids = Array.from({ length: 300 }, (_, i) => `t-${i}`);
    for (let i = 0; i < ids.length; i += 100) {
      await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'term', Records: ids.slice(i, i + 100).map((id) => ({ Data: Buffer.from(`${JSON.stringify({ id })}\n`) })) }));
    }
    fh.destroy();
    const root = join(dataDir, 'firehose', 'buckets', 'term-bucket');
    expect(delivered(root).size).toBe(0);
    expect(await proc.stop()).toBe(0);
    const seen = delivered(root);
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
    expect(seen.size).toBe(ids.length);
  }, 60_000);
});
