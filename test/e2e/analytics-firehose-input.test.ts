/**
 * Firehose delivery streams as application inputs: a Direct PUT delivery stream is tapped from
 * the moment an application names it (records put before StartApplication are read from
 * TRIM_HORIZON, and the delivery stream still delivers everything to its bucket); a delivery
 * stream that reads a data stream is read through that data stream.
 */
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateApplicationCommand, DescribeApplicationCommand, StartApplicationCommand } from '@aws-sdk/client-kinesis-analytics';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLE, createStreams, eventually, jsonSchema, readStream, streamArn, streamOutput } from '../harness/analytics.js';
import { bucketLines } from '../harness/buckets.js';
import { stockAnalytics, stockFirehose, stockKinesis } from '../harness/clients.js';
import { startIngest, type IngestProcess } from '../harness/ingest.js';

let proc: IngestProcess | undefined;
afterAll(async () => {
  await proc?.kill();
  proc?.cleanup();
});

const deliveryArn = (name: string) => `arn:aws:firehose:us-east-1:000000000000:deliverystream/${name}`;
const CODE = `CREATE OR REPLACE STREAM "BIG" (page VARCHAR(16), ms INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "BIG" SELECT STREAM page, ms FROM "SOURCE_SQL_STREAM_001" WHERE ms >= 100;`;
const click = (i: number) => ({ page: `p${i % 3}`, ms: i * 10 });

describe('Firehose delivery streams as Analytics inputs', () => {
  it('reads a Direct PUT delivery stream through its tap, and a stream-sourced one through its source', async () => {
    proc = await startIngest();
    const k = stockKinesis(proc.endpoint);
    const fh = stockFirehose(proc.endpoint);
    const kda = stockAnalytics(proc.endpoint);
    await createStreams(k, [['big-clicks', 1], ['raw', 1], ['big-raw', 1]]);
    const s3 = (bucket: string) => ({ RoleARN: ROLE, BucketARN: `arn:aws:s3:::${bucket}`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } });
    await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'clicks', ExtendedS3DestinationConfiguration: s3('clicks-bucket') }));
    await fh.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'from-raw',
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: streamArn('raw'), RoleARN: ROLE },
        ExtendedS3DestinationConfiguration: s3('raw-bucket'),
      }),
    );
    const schema = jsonSchema([['PAGE', 'VARCHAR(16)'], ['MS', 'INTEGER']]);
    for (const [app, delivery, out] of [['from-clicks', 'clicks', 'big-clicks'], ['from-raw-app', 'from-raw', 'big-raw']] as const) {
      await kda.send(
        new CreateApplicationCommand({
          ApplicationName: app,
          ApplicationCode: CODE,
          Inputs: [{ NamePrefix: 'SOURCE_SQL_STREAM', KinesisFirehoseInput: { ResourceARN: deliveryArn(delivery), RoleARN: ROLE }, InputSchema: schema }],
          Outputs: [streamOutput('BIG', out)],
        }),
      );
    }
    const detail = (await kda.send(new DescribeApplicationCommand({ ApplicationName: 'from-clicks' }))).ApplicationDetail!;
    expect(detail.InputDescriptions?.[0]?.KinesisFirehoseInputDescription?.ResourceARN).toBe(deliveryArn('clicks'));

    // Put before the application starts: the tap already holds these.
    const before = Array.from({ length: 20 }, (_, i) => click(i));
    await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: before.map((c) => ({ Data: Buffer.from(`${JSON.stringify(c)}\n`) })) }));
    for (const app of ['from-clicks', 'from-raw-app']) {
      const id = (await kda.send(new DescribeApplicationCommand({ ApplicationName: app }))).ApplicationDetail!.InputDescriptions![0]!.InputId!;
      await kda.send(new StartApplicationCommand({ ApplicationName: app, InputConfigurations: [{ Id: id, InputStartingPositionConfiguration: { InputStartingPosition: 'TRIM_HORIZON' } }] }));
    }
    const after = Array.from({ length: 20 }, (_, i) => click(20 + i));
    await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: after.map((c) => ({ Data: Buffer.from(`${JSON.stringify(c)}\n`) })) }));
    const raw = Array.from({ length: 30 }, (_, i) => click(i));
    await k.send(new PutRecordsCommand({ StreamName: 'raw', Records: raw.map((c, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(JSON.stringify(c)) })) }));

    const expected = (list: { page: string; ms: number }[]) => list.filter((c) => c.ms >= 100).map((c) => ({ PAGE: c.page, MS: c.ms }));
    const read = (stream: string) => async () => (await readStream(k, stream)).map((r) => JSON.parse(r.data) as { PAGE: string; MS: number });
    const fromClicks = await eventually(read('big-clicks'), (rows) => rows.length >= expected([...before, ...after]).length);
    expect(fromClicks.sort((a, b) => a.MS - b.MS)).toEqual(expected([...before, ...after]));
    const fromRaw = await eventually(read('big-raw'), (rows) => rows.length >= expected(raw).length);
    expect(fromRaw.sort((a, b) => a.MS - b.MS)).toEqual(expected(raw));

    // The delivery stream itself still delivers every record to its bucket.
    const root = join(proc.dataDir, 'firehose', 'buckets', 'clicks-bucket');
    const delivered = await eventually(async () => bucketLines(root), (lines) => lines.length >= 40);
    expect(delivered.map((l) => (JSON.parse(l) as { ms: number }).ms).sort((a, b) => a - b)).toEqual([...before, ...after].map((c) => c.ms));
    k.destroy();
    fh.destroy();
    kda.destroy();

    // After a kill -9 the tap is back before the server takes records again, and the running
    // application reads on from its checkpoint.
    await proc.kill();
    proc = await startIngest({ dataDir: proc.dataDir });
    const fh2 = stockFirehose(proc.endpoint);
    const k2 = stockKinesis(proc.endpoint);
    const later = Array.from({ length: 10 }, (_, i) => click(40 + i));
    await fh2.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: later.map((c) => ({ Data: Buffer.from(`${JSON.stringify(c)}\n`) })) }));
    const readAgain = async () => (await readStream(k2, 'big-clicks')).map((r) => JSON.parse(r.data) as { PAGE: string; MS: number });
    const all = await eventually(readAgain, (rows) => rows.some((r) => r.MS === 490));
    // At-least-once: rows the last commit had not recorded may come twice; none is missing.
    expect(new Set(all.map((r) => r.MS))).toEqual(new Set(expected([...before, ...after, ...later]).map((r) => r.MS)));
    fh2.destroy();
    k2.destroy();
  });
});
