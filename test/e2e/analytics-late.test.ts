/**
 * Late rows end to end, as the README documents them: an event-time window closes when the
 * watermark passes its end plus `analytics.graceMs`; rows for it that arrive before that are
 * counted, rows that arrive after go to error_stream as LateRow with the row in DATA_ROW.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { createApplication, createStreams, eventually, jsonSchema, readStream, startApplication, streamOutput } from '../harness/analytics.js';
import { stockAnalytics, stockKinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const WINDOW_MS = 2_000;
const GRACE_MS = 6_000;
let proc: IngestProcess | undefined;
afterAll(async () => {
  await proc?.kill();
  proc?.cleanup();
});

const CODE = `CREATE OR REPLACE STREAM "COUNTS" (window_start TIMESTAMP, sensor VARCHAR(8), n INTEGER);
CREATE OR REPLACE PUMP "EVENT_PUMP" AS INSERT INTO "COUNTS"
  SELECT STREAM STEP(event_time BY INTERVAL '2' SECOND), sensor, COUNT(*)
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY sensor, STEP(event_time BY INTERVAL '2' SECOND);`;

const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
const parseTs = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

async function put(k: KinesisClient, eventTimes: number[]): Promise<void> {
  const records = eventTimes.map((t, i) => ({ PartitionKey: `p${i}`, Data: Buffer.from(JSON.stringify({ sensor: 's1', event_time: ts(t) })) }));
  expect((await k.send(new PutRecordsCommand({ StreamName: 'events', Records: records }))).FailedRecordCount).toBe(0);
}

describe('late rows', () => {
  it('counts rows that arrive within the grace period and sends later ones to error_stream as LateRow', async () => {
    const dataDir = tempDir('rivulet-kda-late-');
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ analytics: { graceMs: GRACE_MS } }));
    proc = await startIngest({ dataDir, args: ['--config', config] });
    const k = stockKinesis(proc.endpoint);
    const kda = stockAnalytics(proc.endpoint);
    await createStreams(k, [['events', 1], ['counts', 1], ['errors', 1]]);
    await createApplication(kda, {
      name: 'late',
      code: CODE,
      input: 'events',
      schema: jsonSchema([['SENSOR', 'VARCHAR(8)'], ['EVENT_TIME', 'TIMESTAMP']]),
      outputs: [streamOutput('COUNTS', 'counts'), streamOutput('error_stream', 'errors')],
    });
    await startApplication(kda, 'late');

    const now = Date.now();
    // Window A ended 3-5 s ago: its rows are on time now (its end plus the grace is 1-3 s away),
    // and it closes soon. Window B is the current one: it closes 6-8 s from now.
    const oldStart = Math.floor((now - 5_000) / WINDOW_MS) * WINDOW_MS;
    const currentStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    await put(k, [oldStart + 100, oldStart + 900, currentStart + 10]);
    const counts = async () => (await readStream(k, 'counts')).map((r) => JSON.parse(r.data) as { WINDOW_START: string; N: number });
    const first = await eventually(counts, (rows) => rows.some((r) => parseTs(r.WINDOW_START) === oldStart), 15_000);
    expect(first.map((r) => [parseTs(r.WINDOW_START), r.N])).toEqual([[oldStart, 2]]);

    // Window A has closed: a row for it is late. A row for B, older than B's last one (out of
    // order), is within B's grace period and counted.
    await put(k, [oldStart + 500, currentStart + 5]);
    const all = await eventually(counts, (rows) => rows.some((r) => parseTs(r.WINDOW_START) === currentStart), currentStart + WINDOW_MS + GRACE_MS + 10_000 - Date.now());
    expect(all.map((r) => [parseTs(r.WINDOW_START), r.N])).toEqual([[oldStart, 2], [currentStart, 2]]);

    const errors = await eventually(async () => (await readStream(k, 'errors')).map((r) => JSON.parse(r.data) as Record<string, unknown>), (rows) => rows.length >= 1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ ERROR_NAME: 'LateRow', PUMP_NAME: 'EVENT_PUMP' });
    expect(JSON.parse(String(errors[0]!.DATA_ROW))).toEqual(['s1', ts(oldStart + 500), expect.any(String)]);
    k.destroy();
    kda.destroy();
  });
});
