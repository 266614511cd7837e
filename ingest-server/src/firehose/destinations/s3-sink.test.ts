import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RivuletError } from '@rivulet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRadosgw } from '../../../../test/harness/radosgw.js';
import { S3ObjectSink, type S3SinkOptions } from './s3-sink.js';

type Radosgw = Awaited<ReturnType<typeof startRadosgw>>;

let gw: Radosgw;
let admin: S3Client;
const bucket = 'rivulet-s3-sink-test';

function sinkOptions(overrides: Partial<S3SinkOptions> = {}): S3SinkOptions {
  return {
    bucket,
    endpoint: gw.endpoint,
    region: gw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    ...overrides,
  };
}

beforeAll(async () => {
  gw = await startRadosgw();
  admin = new S3Client({
    endpoint: gw.endpoint,
    region: gw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
}, 120_000);

afterAll(async () => {
  admin?.destroy();
  await gw?.stop();
});

describe('S3ObjectSink against Ceph radosgw', () => {
  it('puts the body with its content type, content encoding and metadata', async () => {
    const sink = new S3ObjectSink(sinkOptions());
    try {
      const body = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x10, 0x20]);
      const key = '2026/01/15/12/stream-1-2026-01-15-12-00-00-abc.gz';
      await sink.put(key, body, {
        contentType: 'application/octet-stream',
        contentEncoding: 'gzip',
        metadata: { 'firehose-stream': 'stream-1', 'record-count': '3' },
      });
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentType).toBe('application/octet-stream');
      expect(head.ContentEncoding).toBe('gzip');
      expect(head.ContentLength).toBe(body.length);
      expect(head.Metadata).toEqual({ 'firehose-stream': 'stream-1', 'record-count': '3' });
      const got = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
      expect(sink.description).toBe(`s3://${bucket}`);
    } finally {
      sink.close();
    }
  });

  it('reads an object back whole (Analytics reference data), and names a missing key', async () => {
    const sink = new S3ObjectSink(sinkOptions());
    try {
      const body = Buffer.from('Ticker,Company\nAMZN,Amazon\nMSFT,Microsoft\n');
      await sink.put('reference/companies.csv', body);
      expect(await sink.get('reference/companies.csv')).toEqual(body);
      await expect(sink.get('reference/absent.csv')).rejects.toThrow(/GetObject reference\/absent\.csv: NoSuchKey/);
    } finally {
      sink.close();
    }
  });

  it('overwrites an object put twice under the same key', async () => {
    const sink = new S3ObjectSink(sinkOptions());
    try {
      await sink.put('same/key', Buffer.from('first, longer body'));
      await sink.put('same/key', Buffer.from('second'));
      const got = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'same/key' }));
      expect(await got.Body!.transformToString()).toBe('second');
    } finally {
      sink.close();
    }
  });

  it('fails with FIREHOSE_DELIVERY naming NoSuchBucket when the bucket is missing', async () => {
    const sink = new S3ObjectSink(sinkOptions({ bucket: 'rivulet-no-such-bucket' }));
    try {
      const err = await sink.put('k', Buffer.from('x')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RivuletError);
      expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
      expect((err as RivuletError).message).toContain('NoSuchBucket');
      expect((err as RivuletError).message).toContain('s3://rivulet-no-such-bucket');
    } finally {
      sink.close();
    }
  });

  it('fails with FIREHOSE_DELIVERY when the credentials are wrong', async () => {
    const sink = new S3ObjectSink(sinkOptions({ credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: 'wrong-secret' } }));
    try {
      const err = await sink.put('k', Buffer.from('x')).catch((e: unknown) => e);
      expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
      expect((err as RivuletError).message).toContain('SignatureDoesNotMatch');
    } finally {
      sink.close();
    }
  });
});
