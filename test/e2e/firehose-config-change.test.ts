/**
 * A delivery stream whose configuration stops compiling after a server config change (its
 * Lambda function was removed) must not stop the server: it keeps its records, says why in
 * DescribeDeliveryStream, refuses new records, and delivers again once UpdateDestination fixes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  UpdateDestinationCommand,
} from '@aws-sdk/client-firehose';
import { afterAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { bucketLines } from '../harness/buckets.js';

const procs: IngestProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill();
  procs[0]?.cleanup();
});


describe('Firehose after a server config change', () => {
  it('keeps a delivery stream whose Lambda is gone, refuses records, and recovers through UpdateDestination', async () => {
    const dataDir = tempDir('rivulet-fh-cfg-');
    const fnDir = join(dataDir, 'fn');
    mkdirSync(fnDir);
    writeFileSync(join(fnDir, 'upper.mjs'), `export async function handler(e) { return { records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.from(Buffer.from(r.data, 'base64').toString().toUpperCase()).toString('base64') })) }; }\n`);
    const withFn = join(dataDir, 'with.json');
    const without = join(dataDir, 'without.json');
    writeFileSync(withFn, JSON.stringify({ firehose: { functions: { upper: { module: join(fnDir, 'upper.mjs') } } } }));
    writeFileSync(without, JSON.stringify({}));
    let proc = await startIngest({ dataDir, args: ['--config', withFn] });
    procs.push(proc);
    let fh = stockFirehose(proc.endpoint);
    await fh.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'cfg',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/r',
          BucketARN: 'arn:aws:s3:::cfg-bucket',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 },
          ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:000000000000:function:upper' }] }] },
        },
      }),
    );
    await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'cfg', Records: ['a\n', 'b\n'].map((t) => ({ Data: Buffer.from(t) })) }));
    fh.destroy();
    await proc.kill();

    proc = await startIngest({ dataDir, args: ['--config', without] });
    procs.push(proc);
    fh = stockFirehose(proc.endpoint);
    const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'cfg' }))).DeliveryStreamDescription!;
    expect(d.FailureDescription?.Details).toMatch(/Configuration no longer valid/);
    expect((await fh.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toContain('cfg');
    await expect(fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'cfg', Records: [{ Data: Buffer.from('c\n') }] }))).rejects.toMatchObject({ name: 'ServiceUnavailableException' });

    await fh.send(
      new UpdateDestinationCommand({
        DeliveryStreamName: 'cfg',
        CurrentDeliveryStreamVersionId: d.VersionId!,
        DestinationId: 'destinationId-000000000001',
        ExtendedS3DestinationUpdate: { ProcessingConfiguration: { Enabled: false }, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
      }),
    );
    await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'cfg', Records: [{ Data: Buffer.from('c\n') }] }));
    const root = join(dataDir, 'firehose', 'buckets', 'cfg-bucket');
    const deadline = Date.now() + 15_000;
    while (bucketLines(root).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(bucketLines(root).sort()).toEqual(['a', 'b', 'c']);
    expect((await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'cfg' }))).DeliveryStreamDescription!.FailureDescription).toBeUndefined();
    fh.destroy();
    expect(await proc.stop()).toBe(0);
  }, 90_000);
});
