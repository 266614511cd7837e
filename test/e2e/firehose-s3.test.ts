/**
 * Firehose to a real S3 server (Ceph radosgw), through the stock @aws-sdk/client-firehose against
 * an in-process server whose buckets are configured to live there: GZIP, Snappy (framing format)
 * and HADOOP_SNAPPY objects decoded here, independently of the server's encoder; source record
 * backup to a second bucket; and an S3 outage (a bucket that does not exist yet) that is reported
 * in DescribeDeliveryStream and loses nothing once the bucket appears.
 */
import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  PutRecordBatchCommand,
  type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';
import { startRadosgw, type S3Server } from '../harness/radosgw.js';
import { unblockHadoopSnappy, unframeSnappy } from '../fixtures/snappy-formats.js';

const START_TIMEOUT_MS = 180_000;
const DATA_BUCKET = 'rivulet-fh-data';
const BACKUP_BUCKET = 'rivulet-fh-backup';
// Configured on the server but created on radosgw only halfway through the outage test.
const LATE_BUCKET = 'rivulet-fh-late';
const ROLE = 'arn:aws:iam::000000000000:role/firehose';

let rgw: S3Server;
let s3: S3Client;
let srv: InProcessServer;
let fh: FirehoseClient;

beforeAll(async () => {
  rgw = await startRadosgw({ timeoutMs: START_TIMEOUT_MS - 10_000 });
  const credentials = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
  s3 = new S3Client({ endpoint: rgw.endpoint, region: rgw.region, credentials, forcePathStyle: true });
  for (const bucket of [DATA_BUCKET, BACKUP_BUCKET]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const onRadosgw = { endpoint: rgw.endpoint, region: rgw.region, forcePathStyle: true, ...credentials };
  srv = await startInProcess({
    firehose: {
      buckets: { [DATA_BUCKET]: onRadosgw, [BACKUP_BUCKET]: onRadosgw, [LATE_BUCKET]: onRadosgw },
      maxRetryDelayMs: 200,
    },
  });
  fh = stockFirehose(srv.endpoint);
}, START_TIMEOUT_MS);

afterAll(async () => {
  fh?.destroy();
  await srv?.close();
  s3?.destroy();
  await rgw?.stop();
});

/** Every key under the prefix, following ListObjectsV2 continuation tokens (small pages on purpose). */
async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 2, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function getObject(bucket: string, key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000, tick?: () => void): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    tick?.();
    await new Promise((r) => setTimeout(r, 100));
  }
}

const NAME_TIME = '\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const keyPattern = (prefix: string, stream: string, ext: string) =>
  new RegExp(`^${prefix}\\d{4}/\\d{2}/\\d{2}/\\d{2}/${stream}-1-${NAME_TIME}-${UUID}${ext.replace('.', '\\.')}$`);

/** Records with some repetition (so Snappy compresses) and a unique id each. */
const recordsOf = (n: number, tag: string) => Array.from({ length: n }, (_, i) => Buffer.from(`${JSON.stringify({ tag, i, reading: 'temperature '.repeat(10 + (i % 80)) })}\n`));

async function create(name: string, config: Record<string, unknown>): Promise<void> {
  await fh.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${DATA_BUCKET}`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, ...config },
    }),
  );
}

async function put(name: string, records: Buffer[]): Promise<void> {
  const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((Data) => ({ Data })) }));
  expect(out.FailedPutCount).toBe(0);
}

/** Waits until the objects under prefix decode to `expected` bytes in total, then returns them by key. */
async function delivered(bucket: string, prefix: string, expectedBytes: number, decode: (b: Buffer) => Buffer, tick?: () => void): Promise<Map<string, Buffer>> {
  let objects = new Map<string, Buffer>();
  await waitFor(
    async () => {
      objects = new Map();
      for (const key of await listKeys(bucket, prefix)) objects.set(key, decode(await getObject(bucket, key)));
      let bytes = 0;
      for (const b of objects.values()) bytes += b.length;
      return bytes >= expectedBytes;
    },
    `${expectedBytes} bytes under s3://${bucket}/${prefix}`,
    20_000,
    tick,
  );
  return objects;
}

/** The records in the objects, as sorted lines: objects are named by time and uuid, not by order. */
const lines = (objects: Map<string, Buffer>) => Buffer.concat([...objects.values()]).toString('utf8').split('\n').filter(Boolean).sort();
const sortedLines = (records: Buffer[]) => Buffer.concat(records).toString('utf8').split('\n').filter(Boolean).sort();

describe('Firehose to S3 (radosgw)', () => {
  for (const [format, ext, decode] of [
    ['GZIP', '.gz', (b: Buffer) => gunzipSync(b)],
    ['Snappy', '.snappy', (b: Buffer) => unframeSnappy(b).body],
    ['HADOOP_SNAPPY', '.snappy', unblockHadoopSnappy],
  ] as const) {
    it(`delivers ${format} objects that decode to exactly the input records`, async () => {
      const name = `s3-${format.toLowerCase().replace('_', '-')}`;
      const prefix = `${name}/`;
      await create(name, { Prefix: prefix, CompressionFormat: format });
      // About 320 KiB a put: several 64 KiB Snappy frames, and more than one Hadoop-snappy block.
      const records = recordsOf(1500, format);
      for (let i = 0; i < records.length; i += 500) await put(name, records.slice(i, i + 500));
      const objects = await delivered(DATA_BUCKET, prefix, Buffer.concat(records).length, decode);
      for (const key of objects.keys()) expect(key).toMatch(keyPattern(prefix, name, ext));
      expect(lines(objects)).toEqual(sortedLines(records));
      expect(Math.max(...[...objects.values()].map((b) => b.length))).toBeGreaterThan(256 * 1024);
      if (objects.size === 1) expect([...objects.values()][0]!.equals(Buffer.concat(records))).toBe(true);
    });
  }

  it('backs up the source records to a second bucket while delivering the processed ones', async () => {
    const name = 's3-backup';
    await create(name, {
      Prefix: 'processed/',
      ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] },
      S3BackupMode: 'Enabled',
      S3BackupConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BACKUP_BUCKET}`, Prefix: 'source/', CompressionFormat: 'GZIP' },
    });
    // Raw records without a newline: the destination gets them delimited, the backup as they came.
    const raw = Array.from({ length: 40 }, (_, i) => Buffer.from(JSON.stringify({ backup: true, i })));
    await put(name, raw);

    const processed = await delivered(DATA_BUCKET, 'processed/', Buffer.concat(raw).length + raw.length, (b) => b);
    for (const key of processed.keys()) expect(key).toMatch(keyPattern('processed/', name, ''));
    expect(Buffer.concat([...processed.values()]).equals(Buffer.concat(raw.map((r) => Buffer.concat([r, Buffer.from('\n')]))))).toBe(true);

    const backup = await delivered(BACKUP_BUCKET, 'source/', Buffer.concat(raw).length, (b) => gunzipSync(b));
    for (const key of backup.keys()) expect(key).toMatch(keyPattern('source/', name, '.gz'));
    expect(Buffer.concat([...backup.values()]).equals(Buffer.concat(raw))).toBe(true);
  });

  it('reports an S3 outage in DescribeDeliveryStream and delivers every record once the bucket exists', async () => {
    const name = 's3-outage';
    await fh.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${LATE_BUCKET}`, Prefix: 'late/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
      }),
    );
    const first = recordsOf(30, 'outage-a');
    const second = recordsOf(30, 'outage-b');
    await put(name, first);
    await put(name, second);

    const failure = await waitFor(async () => {
      const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
      return d.FailureDescription;
    }, 'a FailureDescription');
    expect(failure.Type).toBeDefined();
    expect(failure.Details).toMatch(/NoSuchBucket/);
    // The server's retry timers run on its ManualClock: move it along while the bucket is missing.
    for (let i = 0; i < 5; i++) {
      srv.clock.advance(300);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!.FailureDescription).toBeDefined();

    await s3.send(new CreateBucketCommand({ Bucket: LATE_BUCKET }));
    const all = [...first, ...second];
    const objects = await delivered(LATE_BUCKET, 'late/', Buffer.concat(all).length, (b) => b, () => srv.clock.advance(300));
    for (const key of objects.keys()) expect(key).toMatch(keyPattern('late/', name, ''));
    // Exactly the records, none twice.
    expect(lines(objects)).toEqual(sortedLines(all));
    const after = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
    expect(after.FailureDescription).toBeUndefined();
  });
});
