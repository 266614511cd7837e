/**
 * Firehose record format conversion (JSON → Parquet) to a directory bucket, through the stock
 * @aws-sdk/client-firehose: the rows read back with hyparquet equal the input for every column
 * type in the server's table catalog; a record that does not convert goes to the
 * format-conversion-failed error output while the rest are delivered; a table the catalog does
 * not hold is refused at CreateDeliveryStream.
 */
import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';
import { bucketObjects as readBucket, bucketRoot } from '../harness/buckets.js';

const ROLE = 'arn:aws:iam::000000000000:role/firehose';
const COLUMNS = [
  { name: 'device', type: 'string' },
  { name: 'seq', type: 'int' },
  { name: 'total', type: 'bigint' },
  { name: 'temp', type: 'double' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
];

let srv: InProcessServer;
let fh: FirehoseClient;

beforeAll(async () => {
  srv = await startInProcess({ firehose: { tables: { 'telemetry.readings': { columns: COLUMNS } } } });
  fh = stockFirehose(srv.endpoint);
});
afterAll(async () => {
  fh?.destroy();
  await srv?.close();
});

/** Relative path -> bytes of every object in a directory bucket. */
function bucketObjects(bucket: string): Map<string, Buffer> {
  return readBucket(bucketRoot(srv.dataDir, bucket));
}

async function waitFor<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function readParquet(body: Buffer): Promise<Record<string, unknown>[]> {
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } });
}

function conversion(table = 'readings', compression: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' = 'SNAPPY') {
  return {
    Enabled: true,
    SchemaConfiguration: { RoleARN: ROLE, DatabaseName: 'telemetry', TableName: table },
    InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: compression } } },
  };
}

async function create(name: string, extra: Record<string, unknown>): Promise<void> {
  await fh.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${name}-bucket`,
        Prefix: 'rows/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        CompressionFormat: 'UNCOMPRESSED',
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 0 },
        ...extra,
      },
    }),
  );
}

async function put(name: string, records: string[]): Promise<void> {
  const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
  expect(out.FailedPutCount).toBe(0);
}

const readings = Array.from({ length: 25 }, (_, i) => ({
  device: `dev-${i % 4}`,
  seq: i - 3,
  // Past 2^53: JSON carries it as a string, bigint keeps every digit.
  total: (9_007_199_254_740_993n + BigInt(i)).toString(),
  temp: 20 + i / 8,
  ok: i % 3 === 0,
  at: new Date(Date.UTC(2024, 4, 1, 12, 0, i, i * 7)).toISOString(),
}));
const expectedRow = (r: (typeof readings)[number]) => ({ device: r.device, seq: r.seq, total: BigInt(r.total), temp: r.temp, ok: r.ok, at: new Date(r.at) });

describe('Firehose Parquet conversion', () => {
  for (const compression of ['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const) {
    it(`writes ${compression} Parquet objects whose rows equal the input, with each column's type`, async () => {
      const name = `pq-${compression.toLowerCase()}`;
      await create(name, { DataFormatConversionConfiguration: conversion('readings', compression) });
      await put(name, readings.map((r) => JSON.stringify(r)));
      const objects = await waitFor(() => {
        const o = bucketObjects(`${name}-bucket`);
        return o.size > 0 && o;
      }, 'a Parquet object');
      const rows: Record<string, unknown>[] = [];
      for (const [key, body] of [...objects.entries()].sort()) {
        expect(key).toMatch(new RegExp(`^rows/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${name}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}\\.parquet$`));
        expect(body.subarray(0, 4).toString()).toBe('PAR1');
        rows.push(...(await readParquet(body)));
      }
      expect(rows).toEqual(readings.map(expectedRow));
    });
  }

  it('sends a record that does not convert to format-conversion-failed and delivers the others', async () => {
    const name = 'pq-mixed';
    await create(name, { DataFormatConversionConfiguration: conversion() });
    const good = readings.slice(0, 5);
    const records = [
      JSON.stringify(good[0]),
      JSON.stringify({ ...good[1], seq: 'not a number' }),
      JSON.stringify(good[2]),
      '{"device": "truncated"',
      JSON.stringify(good[3]),
      JSON.stringify({ ...good[4], at: 'yesterday' }),
      JSON.stringify(good[4]),
    ];
    const failedIndexes = [1, 3, 5];
    await put(name, records);
    const objects = await waitFor(() => {
      const o = bucketObjects(`${name}-bucket`);
      const keys = [...o.keys()];
      return keys.some((k) => k.startsWith('rows/')) && keys.some((k) => k.startsWith('errors/')) && o;
    }, 'the data and the error output');

    const dataKeys = [...objects.keys()].filter((k) => k.startsWith('rows/')).sort();
    const rows: Record<string, unknown>[] = [];
    for (const key of dataKeys) rows.push(...(await readParquet(objects.get(key)!)));
    expect(rows).toEqual([good[0]!, good[2]!, good[3]!, good[4]!].map(expectedRow));

    const errorKeys = [...objects.keys()].filter((k) => k.startsWith('errors/'));
    for (const key of errorKeys) {
      expect(key).toMatch(new RegExp(`^errors/format-conversion-failed/${name}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}$`));
    }
    const envelopes = errorKeys.flatMap((k) => objects.get(k)!.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
    expect(envelopes).toHaveLength(failedIndexes.length);
    for (const e of envelopes) {
      expect(e).toMatchObject({ attemptsMade: expect.any(Number), arrivalTimestamp: expect.any(Number), ErrorCode: expect.any(String), ErrorMessage: expect.any(String), attemptEndingTimestamp: expect.any(Number) });
    }
    const raw = envelopes.map((e) => Buffer.from(e.rawData as string, 'base64').toString('utf8')).sort();
    expect(raw).toEqual(failedIndexes.map((i) => records[i]!).sort());
    expect(envelopes.find((e) => Buffer.from(e.rawData as string, 'base64').toString('utf8') === records[1])?.ErrorMessage).toMatch(/seq/);
  });

  it('refuses a conversion naming a table the catalog does not hold, and a compressed object format', async () => {
    const refused = async (extra: Record<string, unknown>) =>
      create('pq-refused', extra).then(
        () => null,
        (e: Error) => e,
      );
    const missing = await refused({ DataFormatConversionConfiguration: conversion('no_such_table') });
    expect(missing?.name).toBe('InvalidArgumentException');
    expect(missing?.message).toMatch(/telemetry\.no_such_table/);
    const gzipped = await refused({ DataFormatConversionConfiguration: conversion(), CompressionFormat: 'GZIP' });
    expect(gzipped?.name).toBe('InvalidArgumentException');
  });
});
