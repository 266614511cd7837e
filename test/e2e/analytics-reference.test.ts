/**
 * Analytics reference data end to end with the stock SDK clients, after the KDA developer
 * guide's "Example: Adding Reference Data to a Kinesis Data Analytics Application": a CSV object
 * in a directory bucket becomes the in-application table "CompanyName", joined (LEFT JOIN) with
 * the ticker stream; UpdateApplication reloads it while the application runs; a missing object
 * and a FileKey that climbs out of the bucket ("..") are refused without leaking anything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  AddApplicationReferenceDataSourceCommand,
  DeleteApplicationReferenceDataSourceCommand,
  DescribeApplicationCommand,
  DiscoverInputSchemaCommand,
  UpdateApplicationCommand,
  type KinesisAnalyticsClient,
  type ReferenceDataSource,
} from '@aws-sdk/client-kinesis-analytics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE, appStatus, createApplication, createStreams, eventually, jsonSchema, readStream, startApplication, streamOutput } from '../harness/analytics.js';
import { bucketRoot } from '../harness/buckets.js';
import { stockAnalytics, stockKinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

let proc: IngestProcess;
let kinesis: KinesisClient;
let analytics: KinesisAnalyticsClient;

const BUCKET = 'kda-reference';
const KEY = 'reference/TickerReference.csv';
/** The guide's reference object, as it has it (header line and stray spaces included). */
const TICKER_REFERENCE = 'Ticker, Company\nAMZN,Amazon\nASD, SomeCompanyA\nMMB, SomeCompanyB\nWAS,  SomeCompanyC\n';
/** Data outside the bucket that no FileKey may reach. */
const SECRET = 'AMZN,LEAKED-SECRET\n';

/** The guide's stream: the Getting Started exercise's demo ticker records. */
const TICKER_SCHEMA = jsonSchema([['TICKER_SYMBOL', 'VARCHAR(4)'], ['SECTOR', 'VARCHAR(12)'], ['CHANGE', 'DOUBLE'], ['PRICE', 'DOUBLE']]);
const PASS_THROUGH = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), sector VARCHAR(12), change DOUBLE, price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker_symbol, sector, change, price FROM "SOURCE_SQL_STREAM_001";`;
/** Step 3 of the guide, verbatim. */
const JOIN_CODE = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), "Company" varchar(20), sector VARCHAR(12), change DOUBLE, price DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";`;

function referenceSource(fileKey: string, tableName = 'CompanyName'): ReferenceDataSource {
  return {
    TableName: tableName,
    S3ReferenceDataSource: { BucketARN: `arn:aws:s3:::${BUCKET}`, FileKey: fileKey, ReferenceRoleARN: ROLE },
    ReferenceSchema: {
      RecordFormat: { RecordFormatType: 'CSV', MappingParameters: { CSVMappingParameters: { RecordRowDelimiter: '\n', RecordColumnDelimiter: ',' } } },
      RecordEncoding: 'UTF-8',
      RecordColumns: [
        { Name: 'Ticker', SqlType: 'VARCHAR(4)' },
        { Name: 'Company', SqlType: 'VARCHAR(64)' },
      ],
    },
  };
}

interface Enriched {
  TICKER_SYMBOL: string;
  Company: string | null;
  SECTOR: string;
  CHANGE: number;
  PRICE: number;
}

function writeObject(key: string, body: string): void {
  const path = join(bucketRoot(proc.dataDir, BUCKET), key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

/** Puts trades; PRICE is unique per trade, so each output row names the trade it came from. */
async function trade(stream: string, trades: [ticker: string, price: number][]): Promise<void> {
  const records = trades.map(([ticker, price], i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(JSON.stringify({ ticker_symbol: ticker, sector: 'TECHNOLOGY', change: -0.5, price })) }));
  expect((await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }))).FailedRecordCount).toBe(0);
}

async function enriched(stream: string, atLeast: number, timeoutMs = 20_000): Promise<Enriched[]> {
  return eventually(async () => (await readStream(kinesis, stream)).map((r) => JSON.parse(r.data) as Enriched), (l) => l.length >= atLeast, timeoutMs);
}

const companyOf = (rows: Enriched[], price: number) => rows.find((r) => r.PRICE === price)?.Company;

async function detail(name: string) {
  return (await analytics.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
}

async function createApp(name: string, input: string, output: string, code = PASS_THROUGH): Promise<void> {
  await createApplication(analytics, { name, code, input, schema: TICKER_SCHEMA, outputs: [streamOutput('DESTINATION_SQL_STREAM', output)] });
}

/** Each input stream is fresh: TRIM_HORIZON reads what NOW would, without NOW's start-up race (reported separately). */
function start(name: string, inputId: string) {
  return startApplication(analytics, name, { inputId });
}

const failure = (call: Promise<unknown>) => call.then(() => null, (e: unknown) => e as { name: string; message: string });

beforeAll(async () => {
  const dataDir = tempDir('rivulet-kda-reference-');
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({ analytics: { commitSkewMs: 200 } }));
  // Outside the bucket directory: beside it, and in a sibling bucket.
  mkdirSync(join(dataDir, 'firehose', 'buckets', 'private'), { recursive: true });
  writeFileSync(join(dataDir, 'firehose', 'buckets', 'secret.csv'), SECRET);
  writeFileSync(join(dataDir, 'firehose', 'buckets', 'private', 'secret.csv'), SECRET);
  proc = await startIngest({ dataDir, args: ['--config', config] });
  kinesis = stockKinesis(proc.endpoint);
  analytics = stockAnalytics(proc.endpoint);
  await createStreams(kinesis, ['tickers', 'enriched', 'missing-in', 'missing-out', 'escape-in', 'escape-out'].map((name) => [name, 1] as const));
  writeObject(KEY, TICKER_REFERENCE);
});

afterAll(async () => {
  kinesis?.destroy();
  analytics?.destroy();
  await proc?.kill();
  proc?.cleanup();
});

describe('Analytics reference data', () => {
  it("joins the ticker stream with the guide's CompanyName table: company names, and NULL for an unknown ticker", async () => {
    await createApp('reference-example', 'tickers', 'enriched');
    // Step 2: the reference data source; step 3: the code that joins it.
    await analytics.send(new AddApplicationReferenceDataSourceCommand({ ApplicationName: 'reference-example', CurrentApplicationVersionId: 1, ReferenceDataSource: referenceSource(KEY) }));
    await analytics.send(new UpdateApplicationCommand({ ApplicationName: 'reference-example', CurrentApplicationVersionId: 2, ApplicationUpdate: { ApplicationCodeUpdate: JOIN_CODE } }));
    const app = await detail('reference-example');
    expect(app.ApplicationVersionId).toBe(3);
    expect(app.ReferenceDataSourceDescriptions).toHaveLength(1);
    expect(app.ReferenceDataSourceDescriptions![0]).toMatchObject({
      TableName: 'CompanyName',
      S3ReferenceDataSourceDescription: { BucketARN: `arn:aws:s3:::${BUCKET}`, FileKey: KEY, ReferenceRoleARN: ROLE },
      ReferenceSchema: { RecordFormat: { RecordFormatType: 'CSV' }, RecordColumns: [{ Name: 'Ticker', SqlType: 'VARCHAR(4)' }, { Name: 'Company', SqlType: 'VARCHAR(64)' }] },
    });

    await start('reference-example', app.InputDescriptions![0]!.InputId!);
    expect(await appStatus(analytics, 'reference-example')).toBe('RUNNING');
    await trade('tickers', [['AMZN', 1], ['ASD', 2], ['MMB', 3], ['WAS', 4], ['XYZ', 5]]);
    const rows = await enriched('enriched', 5);
    expect(rows).toHaveLength(5);
    expect(rows.find((r) => r.PRICE === 1)).toEqual({ TICKER_SYMBOL: 'AMZN', Company: 'Amazon', SECTOR: 'TECHNOLOGY', CHANGE: -0.5, PRICE: 1 });
    // The guide's object has spaces after some commas; the names are there, whatever the padding.
    expect(companyOf(rows, 2)?.trim()).toBe('SomeCompanyA');
    expect(companyOf(rows, 3)?.trim()).toBe('SomeCompanyB');
    expect(companyOf(rows, 4)?.trim()).toBe('SomeCompanyC');
    // LEFT JOIN: a ticker the table does not know keeps its row, with a NULL company.
    expect(rows.find((r) => r.PRICE === 5)).toEqual({ TICKER_SYMBOL: 'XYZ', Company: null, SECTOR: 'TECHNOLOGY', CHANGE: -0.5, PRICE: 5 });
  });

  it('reloads the table on UpdateApplication (not before), while the application keeps running and loses no row', async () => {
    // KDA does not refresh the table by itself: a rewritten object changes nothing yet.
    writeObject(KEY, TICKER_REFERENCE.replace('AMZN,Amazon', 'AMZN,Amazon.com Inc'));
    await trade('tickers', [['AMZN', 10], ['ASD', 11]]);
    let rows = await enriched('enriched', 7);
    expect(companyOf(rows, 10)).toBe('Amazon');

    const app = await detail('reference-example');
    await analytics.send(
      new UpdateApplicationCommand({
        ApplicationName: 'reference-example',
        CurrentApplicationVersionId: app.ApplicationVersionId!,
        ApplicationUpdate: { ReferenceDataSourceUpdates: [{ ReferenceId: app.ReferenceDataSourceDescriptions![0]!.ReferenceId!, S3ReferenceDataSourceUpdate: { FileKeyUpdate: KEY } }] },
      }),
    );
    const after = await detail('reference-example');
    expect(after.ApplicationVersionId).toBe(app.ApplicationVersionId! + 1);
    expect(after.ApplicationStatus).toBe('RUNNING');
    await trade('tickers', [['AMZN', 20], ['XYZ', 21], ['WAS', 22]]);
    rows = await enriched('enriched', 10);
    expect(companyOf(rows, 20)).toBe('Amazon.com Inc');
    expect(companyOf(rows, 21)).toBeNull();
    expect(companyOf(rows, 22)?.trim()).toBe('SomeCompanyC');
    // Every trade so far, once each: the restart for the update neither lost nor repeated rows.
    expect(rows.map((r) => r.PRICE).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 10, 11, 20, 21, 22]);
  });

  it('refuses to start with a reference object that does not exist, with InvalidApplicationConfigurationException', async () => {
    await createApp('missing-ready', 'missing-in', 'missing-out');
    // A READY application only saves the configuration (KDA loads reference data when it runs).
    await analytics.send(new AddApplicationReferenceDataSourceCommand({ ApplicationName: 'missing-ready', CurrentApplicationVersionId: 1, ReferenceDataSource: referenceSource('reference/missing.csv') }));
    const app = await detail('missing-ready');
    const err = await failure(start('missing-ready', app.InputDescriptions![0]!.InputId!));
    expect(err?.name).toBe('InvalidApplicationConfigurationException');
    expect(err?.message).toContain('reference/missing.csv');
    expect(err?.message).toContain('CompanyName');
    expect(await appStatus(analytics, 'missing-ready')).toBe('READY');

    // Once the object exists the same configuration starts.
    writeObject('reference/missing.csv', TICKER_REFERENCE);
    await start('missing-ready', app.InputDescriptions![0]!.InputId!);
    expect(await appStatus(analytics, 'missing-ready')).toBe('RUNNING');
  });

  it('refuses to add a missing reference object to a running application, which keeps running as it was', async () => {
    // missing-ready runs from the previous test, with CompanyName loaded.
    const before = await detail('missing-ready');
    expect(before.ApplicationStatus).toBe('RUNNING');
    const err = await failure(
      analytics.send(
        new AddApplicationReferenceDataSourceCommand({ ApplicationName: 'missing-ready', CurrentApplicationVersionId: before.ApplicationVersionId!, ReferenceDataSource: referenceSource('reference/absent.csv', 'Absent') }),
      ),
    );
    expect(err?.name).toBe('InvalidApplicationConfigurationException');
    expect(err?.message).toContain('reference/absent.csv');
    // A refused update changes nothing: same version, same tables, still running and processing.
    const after = await detail('missing-ready');
    expect.soft(after.ApplicationVersionId).toBe(before.ApplicationVersionId);
    expect.soft(after.ReferenceDataSourceDescriptions?.map((r) => r.TableName)).toEqual(['CompanyName']);
    expect.soft(after.ApplicationStatus).toBe('RUNNING');
    await trade('missing-in', [['AMZN', 100]]);
    const rows = await enriched('missing-out', 1, 5_000);
    expect(rows.map((r) => r.PRICE)).toEqual([100]);
  });

  it("refuses a FileKey with '..' that would read outside the bucket directory, and leaks none of it", async () => {
    await createApp('escape', 'escape-in', 'escape-out', PASS_THROUGH);
    let version = 1;
    for (const key of ['../secret.csv', '../private/secret.csv', 'reference/../../private/secret.csv']) {
      await analytics.send(new AddApplicationReferenceDataSourceCommand({ ApplicationName: 'escape', CurrentApplicationVersionId: version++, ReferenceDataSource: referenceSource(key, 'Escape') }));
      const app = await detail('escape');
      const err = await failure(start('escape', app.InputDescriptions![0]!.InputId!));
      expect(err?.name).toBe('InvalidApplicationConfigurationException');
      expect(err?.message).not.toContain('LEAKED');
      expect(await appStatus(analytics, 'escape')).toBe('READY');
      // Drop it again for the next key.
      const ref = app.ReferenceDataSourceDescriptions![0]!;
      await analytics.send(new DeleteApplicationReferenceDataSourceCommand({ ApplicationName: 'escape', CurrentApplicationVersionId: version++, ReferenceId: ref.ReferenceId! }));
    }
    // Schema discovery on the same keys reads nothing either.
    const discovered = await failure(
      analytics.send(new DiscoverInputSchemaCommand({ S3Configuration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, FileKey: '../private/secret.csv' } })),
    );
    expect(discovered).not.toBeNull();
    expect(JSON.stringify(discovered)).not.toContain('LEAKED');

    // A running application cannot be pointed outside the bucket either, and its output stays clean.
    writeObject('reference/inside.csv', 'AMZN,Inside\n');
    await analytics.send(new AddApplicationReferenceDataSourceCommand({ ApplicationName: 'escape', CurrentApplicationVersionId: version++, ReferenceDataSource: referenceSource('reference/inside.csv') }));
    await analytics.send(new UpdateApplicationCommand({ ApplicationName: 'escape', CurrentApplicationVersionId: version++, ApplicationUpdate: { ApplicationCodeUpdate: JOIN_CODE } }));
    const app = await detail('escape');
    await start('escape', app.InputDescriptions![0]!.InputId!);
    const ref = app.ReferenceDataSourceDescriptions![0]!;
    const err = await failure(
      analytics.send(
        new UpdateApplicationCommand({
          ApplicationName: 'escape',
          CurrentApplicationVersionId: version,
          ApplicationUpdate: { ReferenceDataSourceUpdates: [{ ReferenceId: ref.ReferenceId!, S3ReferenceDataSourceUpdate: { FileKeyUpdate: '../private/secret.csv' } }] },
        }),
      ),
    );
    expect(err?.name).toBe('InvalidApplicationConfigurationException');
    expect.soft((await detail('escape')).ReferenceDataSourceDescriptions?.[0]?.S3ReferenceDataSourceDescription?.FileKey).toBe('reference/inside.csv');
    await trade('escape-in', [['AMZN', 7]]);
    const rows = await enriched('escape-out', 1, 5_000);
    expect(rows).toEqual([{ TICKER_SYMBOL: 'AMZN', Company: 'Inside', SECTOR: 'TECHNOLOGY', CHANGE: -0.5, PRICE: 7 }]);
    expect(await appStatus(analytics, 'escape')).toBe('RUNNING');
  });
});
