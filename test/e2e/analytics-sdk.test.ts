/**
 * Analytics end to end with the stock SDK clients: records put with @aws-sdk/client-kinesis into
 * a stream run through a KDA SQL application (a tumbling GROUP BY) into another stream, read back
 * with the SDK; bad rows land in error_stream; bad SQL is refused with a position.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateApplicationCommand,
  DeleteApplicationCommand,
  DescribeApplicationCommand,
  DiscoverInputSchemaCommand,
  ListApplicationsCommand,
  StopApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE, appStatus, createApplication, createStreams, eventually, jsonSchema, readStream, startApplication, streamArn, streamOutput } from '../harness/analytics.js';
import { stockAnalytics, stockKinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

let proc: IngestProcess;
let kinesis: KinesisClient;
let analytics: ReturnType<typeof stockAnalytics>;

beforeAll(async () => {
  const dataDir = tempDir('rivulet-kda-sdk-');
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({ analytics: { commitSkewMs: 200 } }));
  proc = await startIngest({ dataDir, args: ['--config', config] });
  kinesis = stockKinesis(proc.endpoint);
  analytics = stockAnalytics(proc.endpoint);
  await createStreams(kinesis, [['trades', 2], ['per-second', 1], ['errors', 1]]);
});

afterAll(async () => {
  kinesis?.destroy();
  analytics?.destroy();
  await proc?.kill();
  proc?.cleanup();
});

const CODE = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), trades INTEGER, low DOUBLE, high DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ROWTIME, ticker, COUNT(*), MIN(price), MAX(price)
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY ticker, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);`;

describe('Analytics through the stock SDK', () => {
  it('runs a tumbling GROUP BY from one stream into another, and error rows into error_stream', async () => {
    const outputs = [streamOutput('DESTINATION_SQL_STREAM', 'per-second'), streamOutput('error_stream', 'errors')];
    const created = await createApplication(analytics, { name: 'per-second', code: CODE, input: 'trades', schema: jsonSchema([['TICKER', 'VARCHAR(4)'], ['PRICE', 'DOUBLE']]), outputs });
    expect(created.ApplicationSummary).toMatchObject({ ApplicationName: 'per-second', ApplicationStatus: 'READY' });
    const detail = (await analytics.send(new DescribeApplicationCommand({ ApplicationName: 'per-second' }))).ApplicationDetail!;
    expect(detail.InputDescriptions?.[0]?.InAppStreamNames).toEqual(['SOURCE_SQL_STREAM_001']);
    expect(detail.ApplicationVersionId).toBe(1);
    const inputId = detail.InputDescriptions![0]!.InputId!;
    await startApplication(analytics, 'per-second', { inputId, position: 'NOW' });
    expect(await appStatus(analytics, 'per-second')).toBe('RUNNING');

    const tickers = ['AMZN', 'MSFT', 'AAPL'];
    const sent = new Map<string, number[]>();
    for (let batch = 0; batch < 6; batch++) {
      const records = Array.from({ length: 50 }, (_, i) => {
        const ticker = tickers[(batch + i) % tickers.length]!;
        const price = 100 + batch * 10 + i;
        sent.set(ticker, [...(sent.get(ticker) ?? []), price]);
        return { PartitionKey: `${ticker}-${i}`, Data: Buffer.from(JSON.stringify({ ticker, price })) };
      });
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'trades', Records: records }));
      expect(out.FailedRecordCount).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
    }
    // A record whose price is not a number does not match the schema: it goes to error_stream.
    await kinesis.send(new PutRecordsCommand({ StreamName: 'trades', Records: [{ PartitionKey: 'bad', Data: Buffer.from('{"ticker":"BAD","price":"not a number"}') }] }));

    const total = [...sent.values()].reduce((n, list) => n + list.length, 0);
    const rows = await eventually(
      async () => (await readStream(kinesis, 'per-second')).map((r) => JSON.parse(r.data) as { TICKER: string; TRADES: number; LOW: number; HIGH: number }),
      (list) => list.reduce((n, r) => n + r.TRADES, 0) >= total,
      20_000,
    );
    // Every trade is counted once, in some one-second window of its ticker.
    for (const ticker of tickers) {
      const mine = rows.filter((r) => r.TICKER === ticker);
      const prices = sent.get(ticker)!;
      expect(mine.reduce((n, r) => n + r.TRADES, 0)).toBe(prices.length);
      expect(Math.min(...mine.map((r) => r.LOW))).toBe(Math.min(...prices));
      expect(Math.max(...mine.map((r) => r.HIGH))).toBe(Math.max(...prices));
    }
    expect(rows.reduce((n, r) => n + r.TRADES, 0)).toBe(total);

    const errors = await eventually(
      async () => (await readStream(kinesis, 'errors')).map((r) => JSON.parse(r.data) as Record<string, unknown>),
      (list) => list.length >= 1,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ ERROR_LEVEL: 'ERROR', ERROR_NAME: 'SchemaMismatch' });
    expect(String(errors[0]!.DATA_ROW)).toContain('not a number');

    await analytics.send(new StopApplicationCommand({ ApplicationName: 'per-second' }));
    expect(await appStatus(analytics, 'per-second')).toBe('READY');

    // Records put while the application is stopped are read when it starts from where it stopped.
    const later = Array.from({ length: 30 }, (_, i) => ({ PartitionKey: `late-${i}`, Data: Buffer.from(JSON.stringify({ ticker: 'AMZN', price: 1 + i })) }));
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'trades', Records: later }))).FailedRecordCount).toBe(0);
    await startApplication(analytics, 'per-second', { inputId, position: 'LAST_STOPPED_POINT' });
    const after = await eventually(
      async () => (await readStream(kinesis, 'per-second')).map((r) => JSON.parse(r.data) as { TICKER: string; TRADES: number; LOW: number }),
      (list) => list.reduce((n, r) => n + r.TRADES, 0) >= total + 30,
      20_000,
    );
    expect(after.reduce((n, r) => n + r.TRADES, 0)).toBe(total + 30);
    expect(Math.min(...after.filter((r) => r.TICKER === 'AMZN').map((r) => r.LOW))).toBe(1);
    await analytics.send(new StopApplicationCommand({ ApplicationName: 'per-second' }));
  });

  it('discovers the input schema from the records a stream holds', async () => {
    const out = await analytics.send(new DiscoverInputSchemaCommand({ ResourceARN: streamArn('trades'), RoleARN: ROLE, InputStartingPositionConfiguration: { InputStartingPosition: 'TRIM_HORIZON' } }));
    expect(out.InputSchema?.RecordFormat?.RecordFormatType).toBe('JSON');
    expect(out.InputSchema?.RecordColumns).toEqual([
      { Name: 'ticker', Mapping: '$.ticker', SqlType: 'VARCHAR(4)' },
      { Name: 'price', Mapping: '$.price', SqlType: 'INTEGER' },
    ]);
    expect(out.RawInputRecords).toHaveLength(100);
    expect(out.ParsedInputRecords?.[0]).toHaveLength(2);
  });

  it('answers UnableToDetectSchemaException for a stream with nothing to sample', async () => {
    const err = await analytics
      .send(new DiscoverInputSchemaCommand({ ResourceARN: streamArn('per-second'), RoleARN: ROLE, InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } }))
      .then(() => null, (e: unknown) => e as { name: string });
    expect(err?.name).toBe('UnableToDetectSchemaException');
  });

  it('refuses SQL that does not parse with CodeValidationException at its line and column, and creates nothing', async () => {
    const bad = `CREATE OR REPLACE STREAM "OUT" (n INTEGER);\nCREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT"\n  SELECT STREAM COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY STEP(ROWTIME BY INTERVAL '1' SECOND) WHERE;`;
    const err = await analytics
      .send(new CreateApplicationCommand({ ApplicationName: 'bad-sql', ApplicationCode: bad }))
      .then(() => null, (e: unknown) => e as { name: string; message: string });
    expect(err?.name).toBe('CodeValidationException');
    expect(err?.message).toMatch(/line 3, column \d+/);
    const list = await analytics.send(new ListApplicationsCommand({}));
    expect(list.ApplicationSummaries?.map((s) => s.ApplicationName)).not.toContain('bad-sql');
  });

  it('refuses SQL that parses but names an unknown column, with its position', async () => {
    const code = `CREATE OR REPLACE STREAM "OUT" (n DOUBLE);\nCREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM nope FROM "SOURCE_SQL_STREAM_001";`;
    const err = await createApplication(analytics, { name: 'bad-column', code, input: 'trades', schema: jsonSchema([['PRICE', 'DOUBLE']]) })
      .then(() => null, (e: unknown) => e as { name: string; message: string });
    expect(err?.name).toBe('CodeValidationException');
    expect(err?.message).toMatch(/line 2, column \d+: column "NOPE" not found/);
  });

  it('deletes an application given its creation time', async () => {
    await analytics.send(new CreateApplicationCommand({ ApplicationName: 'short-lived' }));
    const detail = (await analytics.send(new DescribeApplicationCommand({ ApplicationName: 'short-lived' }))).ApplicationDetail!;
    await analytics.send(new DeleteApplicationCommand({ ApplicationName: 'short-lived', CreateTimestamp: detail.CreateTimestamp! }));
    const err = await analytics.send(new DescribeApplicationCommand({ ApplicationName: 'short-lived' })).then(() => null, (e: unknown) => e as { name: string });
    expect(err?.name).toBe('ResourceNotFoundException');
  });
});
