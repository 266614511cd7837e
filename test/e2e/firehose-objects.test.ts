/**
 * Firehose to the embedded object store (a directory per bucket), through the stock
 * @aws-sdk/client-firehose against a listening server whose clock the test drives: buffering
 * hints (interval and size), compression formats, naming, and the control plane's errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  TagDeliveryStreamCommand,
  UpdateDestinationCommand,
  type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';
import { bucketObjects, bucketRoot } from '../harness/buckets.js';

let srv: InProcessServer;
let fh: FirehoseClient;

beforeAll(async () => {
  srv = await startInProcess();
  fh = stockFirehose(srv.endpoint);
});
afterAll(async () => {
  fh?.destroy();
  await srv?.close();
});

function listObjects(bucket: string): string[] {
  return [...bucketObjects(bucketRoot(srv.dataDir, bucket)).keys()];
}

async function waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Lets the server's async work (persist, process, cut) run without moving its clock. */
const settle = () => new Promise((r) => setTimeout(r, 200));

async function create(name: string, extra: Record<string, unknown> = {}, hints = { SizeInMBs: 1, IntervalInSeconds: 60 }) {
  await fh.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/firehose', BucketARN: `arn:aws:s3:::${name}-bucket`, BufferingHints: hints, ...extra },
    }),
  );
}

const recordsOf = (n: number, tag: string) => Array.from({ length: n }, (_, i) => Buffer.from(`{"tag":"${tag}","i":${i}}\n`));

describe('Firehose to the embedded object store', () => {
  it('delivers on the interval hint, not before, as one GZIP object holding exactly the records', async () => {
    await create('interval', { CompressionFormat: 'GZIP' });
    const records = recordsOf(200, 'interval');
    const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'interval', Records: records.map((Data) => ({ Data })) }));
    expect(out.FailedPutCount).toBe(0);
    expect(out.RequestResponses).toHaveLength(200);
    expect(new Set(out.RequestResponses!.map((r) => r.RecordId)).size).toBe(200);
    await settle();
    srv.clock.advance(59_000);
    await settle();
    expect(listObjects('interval-bucket')).toEqual([]);
    srv.clock.advance(1_000);
    const [key] = await waitFor(() => {
      const o = listObjects('interval-bucket');
      return o.length > 0 && o;
    });
    expect(key).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/interval-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/);
    const body = gunzipSync(readFileSync(join(srv.dataDir, 'firehose', 'buckets', 'interval-bucket', key!)));
    expect(body.equals(Buffer.concat(records))).toBe(true);
  });

  it('delivers on the size hint without waiting for the interval', async () => {
    await create('size');
    const big = Buffer.alloc(100 * 1024, 'x');
    for (let i = 0; i < 11; i++) await fh.send(new PutRecordCommand({ DeliveryStreamName: 'size', Record: { Data: big } }));
    const objects = await waitFor(() => {
      const o = listObjects('size-bucket');
      return o.length > 0 && o;
    });
    expect(objects).toHaveLength(1);
    const body = readFileSync(join(srv.dataDir, 'firehose', 'buckets', 'size-bucket', objects[0]!));
    expect(body.byteLength).toBeGreaterThanOrEqual(1024 * 1024);
    expect(body.byteLength % big.byteLength).toBe(0);
  });

  for (const [format, ext, decode] of [
    ['ZIP', '.zip', (b: Buffer) => Buffer.from(Object.values(unzipSync(b))[0]!)],
    ['UNCOMPRESSED', '', (b: Buffer) => b],
  ] as const) {
    it(`writes ${format} objects that decode to exactly the input`, async () => {
      const name = `fmt-${format.toLowerCase()}`;
      await create(name, { CompressionFormat: format }, { SizeInMBs: 1, IntervalInSeconds: 0 });
      const records = recordsOf(50, format);
      await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((Data) => ({ Data })) }));
      const [key] = await waitFor(() => {
        const o = listObjects(`${name}-bucket`);
        return o.length > 0 && o;
      });
      expect(key!.endsWith(`${ext}`)).toBe(true);
      expect(decode(readFileSync(join(srv.dataDir, 'firehose', 'buckets', `${name}-bucket`, key!))).equals(Buffer.concat(records))).toBe(true);
    });
  }

  it('describes, lists, tags, updates and deletes delivery streams', async () => {
    await create('ctl', { Prefix: 'raw/', ErrorOutputPrefix: 'err/' });
    const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'ctl' }))).DeliveryStreamDescription!;
    expect(d.DeliveryStreamStatus).toBe('ACTIVE');
    expect(d.DeliveryStreamType).toBe('DirectPut');
    expect(d.VersionId).toBe('1');
    expect(d.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/ctl');
    expect(d.Destinations?.[0]?.DestinationId).toBe('destinationId-000000000001');
    expect(d.Destinations?.[0]?.ExtendedS3DestinationDescription?.Prefix).toBe('raw/');
    expect(d.Destinations?.[0]?.ExtendedS3DestinationDescription?.CompressionFormat).toBe('UNCOMPRESSED');
    expect(d.CreateTimestamp).toBeInstanceOf(Date);
    const list = await fh.send(new ListDeliveryStreamsCommand({}));
    expect(list.DeliveryStreamNames).toContain('ctl');
    await fh.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'ctl', Tags: [{ Key: 'team', Value: 'edge' }] }));
    expect((await fh.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'ctl' }))).Tags).toEqual([{ Key: 'team', Value: 'edge' }]);
    await fh.send(new UpdateDestinationCommand({ DeliveryStreamName: 'ctl', CurrentDeliveryStreamVersionId: '1', DestinationId: 'destinationId-000000000001', ExtendedS3DestinationUpdate: { Prefix: 'v2/' } }));
    const d2 = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'ctl' }))).DeliveryStreamDescription!;
    expect(d2.VersionId).toBe('2');
    expect(d2.Destinations?.[0]?.ExtendedS3DestinationDescription?.Prefix).toBe('v2/');
    expect(d2.Destinations?.[0]?.ExtendedS3DestinationDescription?.ErrorOutputPrefix).toBe('err/');
    await expect(
      fh.send(new UpdateDestinationCommand({ DeliveryStreamName: 'ctl', CurrentDeliveryStreamVersionId: '1', DestinationId: 'destinationId-000000000001', ExtendedS3DestinationUpdate: { Prefix: 'v3/' } })),
    ).rejects.toMatchObject({ name: 'ConcurrentModificationException' });
    await fh.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'ctl' }));
    await expect(fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'ctl' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('rejects bad configs and bad records with the AWS error names', async () => {
    const base = { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::ok-bucket' };
    const bad = async (input: Record<string, unknown>, name: string, message?: RegExp) => {
      const err = await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'bad', ...input } as never)).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.name).toBe(name);
      if (message) expect(err?.message).toMatch(message);
    };
    await bad({}, 'InvalidArgumentException', /Exactly one destination/);
    await bad({ ExtendedS3DestinationConfiguration: { ...base, BucketARN: 'arn:aws:s3:::..' } }, 'InvalidArgumentException');
    await bad({ ExtendedS3DestinationConfiguration: { ...base, BufferingHints: { SizeInMBs: 129 } } }, 'ValidationException');
    await bad({ ExtendedS3DestinationConfiguration: { ...base, Prefix: '!{nope:x}/' } }, 'InvalidArgumentException');
    await bad({ ExtendedS3DestinationConfiguration: base, DeliveryStreamType: 'KinesisStreamAsSource' }, 'InvalidArgumentException');
    await bad({ SplunkDestinationConfiguration: { HECEndpoint: 'x' } }, 'InvalidArgumentException', /not supported/);
    await bad({ DeliveryStreamName: 'has space', ExtendedS3DestinationConfiguration: base }, 'ValidationException');
    await bad({ ExtendedS3DestinationConfiguration: base, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }, 'InvalidArgumentException', /not supported/);

    await create('dup');
    await expect(create('dup')).rejects.toMatchObject({ name: 'ResourceInUseException' });
    await expect(fh.send(new PutRecordCommand({ DeliveryStreamName: 'missing', Record: { Data: Buffer.from('x') } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const tooMany = Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') }));
    await expect(fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'dup', Records: tooMany }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(fh.send(new PutRecordCommand({ DeliveryStreamName: 'dup', Record: { Data: Buffer.alloc(1000 * 1024 + 1) } }))).rejects.toMatchObject({ name: 'ValidationException' });
    const fiveMiB = Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(1000 * 1024) }));
    await expect(fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'dup', Records: fiveMiB }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
  });
});
