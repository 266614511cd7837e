/**
 * Tests for the radosgw harness: the Ceph cluster it starts is a real S3 server for the AWS SDK
 * v3 client (path-style), covering the calls the Firehose S3 destination relies on.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRadosgw, type S3Server } from './radosgw.js';

const START_TIMEOUT_MS = 120_000;

describe('startRadosgw', () => {
  let server: S3Server;
  let s3: S3Client;
  const bucket = 'rivulet-harness';

  beforeAll(async () => {
    server = await startRadosgw({ timeoutMs: START_TIMEOUT_MS });
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      forcePathStyle: true,
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('serves an HTTP endpoint on loopback', () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('returns the bytes of an object it stored', async () => {
    const body = Buffer.from('{"deviceId":"cam-1","temp":21.5}\n'.repeat(100));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'round-trip/records.json', Body: body, ContentType: 'application/json' }));

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'round-trip/records.json' }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(got.ContentType).toBe('application/json');
  });

  it('reports size and ETag on HeadObject', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'head/one', Body: 'hello' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'head/one' }));
    expect(head.ContentLength).toBe(5);
    expect(head.ETag).toBe(put.ETag);
  });

  it('pages ListObjectsV2 with continuation tokens', async () => {
    const keys = ['page/a', 'page/b', 'page/c', 'page/d', 'page/e'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'page/', MaxKeys: 2, ContinuationToken: token }));
      pages++;
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated) expect(token).toBeDefined();
    } while (token !== undefined);

    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('throws NoSuchKey for a missing object', async () => {
    const missing = s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'does/not/exist' }));
    await expect(missing).rejects.toBeInstanceOf(NoSuchKey);
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrong = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'not-the-secret' },
      forcePathStyle: true,
    });
    try {
      await expect(wrong.send(new HeadObjectCommand({ Bucket: bucket, Key: 'head/one' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      wrong.destroy();
    }
  });
});
