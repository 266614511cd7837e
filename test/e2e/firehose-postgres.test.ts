/**
 * Firehose's Redshift destination, played by a real PostgreSQL, through the stock
 * @aws-sdk/client-firehose: JSON records land as exactly the rows put, each batch once; a batch
 * that cannot load goes, after its retry window, to the error output bucket (a directory bucket)
 * as error-envelope lines carrying the records, and does not hold up the batches behind it.
 */
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';
import { startPostgres, type PgServer } from '../harness/postgres.js';
import { bucketObjects as readBucket, bucketRoot } from '../harness/buckets.js';

const ROLE = 'arn:aws:iam::000000000000:role/firehose';
const ERROR_BUCKET = 'pg-errors';

let db: PgServer;
let sql: pg.Client;
let srv: InProcessServer;
let fh: FirehoseClient;

beforeAll(async () => {
  db = await startPostgres({ timeoutMs: 60_000 });
  sql = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
  await sql.connect();
  await sql.query('CREATE TABLE readings (id integer PRIMARY KEY, device text NOT NULL, temp double precision, ok boolean, note text)');
  srv = await startInProcess({ firehose: { maxRetryDelayMs: 200 } });
  fh = stockFirehose(srv.endpoint);
}, 90_000);

afterAll(async () => {
  fh?.destroy();
  await srv?.close();
  await sql?.end();
  await db?.stop();
});

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Relative path -> contents of every object in a directory bucket. */
function bucketObjects(bucket: string): Map<string, string> {
  return new Map([...readBucket(bucketRoot(srv.dataDir, bucket))].map(([k, v]) => [k, v.toString('utf8')]));
}

interface Reading {
  id: number;
  device: string;
  temp: number | null;
  ok: boolean | null;
  note: string | null;
}

const readingsFrom = (ids: number[]): Reading[] => ids.map((id) => ({ id, device: `dev-${id % 3}`, temp: id + 0.25, ok: id % 2 === 0, note: id % 5 === 0 ? null : `n"${id}",|x` }));

async function rows(minId: number, maxId: number): Promise<Reading[]> {
  const result = await sql.query<Reading>('SELECT id, device, temp, ok, note FROM readings WHERE id BETWEEN $1 AND $2 ORDER BY id', [minId, maxId]);
  return result.rows;
}

async function put(name: string, docs: unknown[]): Promise<void> {
  const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: docs.map((d) => ({ Data: Buffer.from(JSON.stringify(d)) })) }));
  expect(out.FailedPutCount).toBe(0);
}

async function createPgStream(name: string, retrySeconds: number): Promise<void> {
  await fh.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      RedshiftDestinationConfiguration: {
        RoleARN: ROLE,
        ClusterJDBCURL: db.jdbcUrl,
        CopyCommand: { DataTableName: 'readings', DataTableColumns: 'id,device,temp,ok,note', CopyOptions: "json 'auto'" },
        Username: db.user,
        Password: db.password,
        RetryOptions: { DurationInSeconds: retrySeconds },
        S3Configuration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${ERROR_BUCKET}`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
      },
    }),
  );
}

describe('Firehose to PostgreSQL (the Redshift destination)', () => {
  it('loads JSON records as exactly the rows put, each batch once', async () => {
    await createPgStream('pg-load', 60);
    const first = readingsFrom(Array.from({ length: 50 }, (_, i) => i + 1));
    const second = readingsFrom(Array.from({ length: 50 }, (_, i) => i + 51));
    await put('pg-load', first);
    await put('pg-load', second);
    await waitFor(async () => (await rows(1, 100)).length >= 100, '100 rows');
    // Let any duplicate load land before looking.
    await new Promise((r) => setTimeout(r, 300));
    expect(await rows(1, 100)).toEqual([...first, ...second]);
    const batches = await sql.query<{ table_name: string; row_count: string }>('SELECT table_name, row_count FROM rivulet_firehose_batches');
    expect(batches.rows.every((b) => b.table_name === 'readings')).toBe(true);
    expect(batches.rows.reduce((n, b) => n + Number(b.row_count), 0)).toBe(100);
    const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'pg-load' }))).DeliveryStreamDescription!;
    expect(d.FailureDescription).toBeUndefined();
    expect(d.Destinations?.[0]?.RedshiftDestinationDescription?.CopyCommand?.DataTableName).toBe('readings');
    expect(d.Destinations?.[0]?.RedshiftDestinationDescription).not.toHaveProperty('Password');
  });

  it('sends a batch that cannot load to the error output without holding up later batches', async () => {
    // A one-second retry window on a clock that only moves when the test moves it: the bad batch
    // stays in retry until then, and the good batch behind it must load meanwhile.
    await createPgStream('pg-fail', 1);
    const bad = [...readingsFrom([201, 202]), { id: 203, device: 'dev-x', temp: 'hot' }, ...readingsFrom([204])];
    await put('pg-fail', bad);
    const failure = await waitFor(async () => (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'pg-fail' }))).DeliveryStreamDescription!.FailureDescription, 'a FailureDescription');
    expect(failure.Details).toMatch(/22P02|invalid input syntax/);

    const good = readingsFrom([301, 302, 303]);
    await put('pg-fail', good);
    await waitFor(async () => (await rows(301, 303)).length === 3, 'the good batch behind the failing one');
    expect(await rows(301, 303)).toEqual(good);
    expect(bucketObjects(ERROR_BUCKET).size).toBe(0);

    // End the bad batch's retry window: its next attempt fails and it goes to the error output.
    srv.clock.advance(2_000);
    const objects = await waitFor(async () => {
      const o = bucketObjects(ERROR_BUCKET);
      return o.size > 0 && o;
    }, 'the error output');
    const envelopes = [...objects.entries()].flatMap(([key, body]) => {
      expect(key).toMatch(/^redshift-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/pg-fail-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/);
      return body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    });
    expect(envelopes).toHaveLength(bad.length);
    for (const e of envelopes) {
      expect(e).toMatchObject({ attemptsMade: expect.any(Number), arrivalTimestamp: expect.any(Number), errorCode: expect.any(String), errorMessage: expect.stringMatching(/22P02|invalid input syntax/), attemptEndingTimestamp: expect.any(Number) });
      expect(e.attemptsMade as number).toBeGreaterThanOrEqual(2);
    }
    expect(envelopes.map((e) => JSON.parse(Buffer.from(e.rawData as string, 'base64').toString('utf8')) as unknown)).toEqual(bad);
    // The failed batch loaded nothing (one transaction), and later batches still flow.
    expect(await rows(201, 204)).toEqual([]);
    const later = readingsFrom([401, 402]);
    await put('pg-fail', later);
    await waitFor(async () => (await rows(401, 402)).length === 2, 'a batch after the failure');
    expect(await rows(401, 402)).toEqual(later);
  });
});
