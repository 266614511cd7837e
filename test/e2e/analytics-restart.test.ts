/**
 * Restart: kill -9 the server while an application is in the middle of a window, start it again,
 * keep putting. Every window's result must equal the one computed from the input stream itself
 * (each record counted in the window of its arrival time), and no window may be emitted twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { appStatus, createApplication, createStreams, eventually, jsonSchema, readStream, startApplication, streamOutput } from '../harness/analytics.js';
import { stockAnalytics, stockKinesis } from '../harness/clients.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const WINDOW_MS = 2_000;
const PAGES = ['home', 'cart', 'checkout', 'search'];
const procs: IngestProcess[] = [];

afterAll(async () => {
  for (const p of procs) await p.kill();
  procs[0]?.cleanup();
});

const CODE = `CREATE OR REPLACE STREAM "COUNTS" (window_start TIMESTAMP, page VARCHAR(16), views INTEGER);
CREATE OR REPLACE PUMP "COUNT_PUMP" AS INSERT INTO "COUNTS"
  SELECT STREAM STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '2' SECOND), page, COUNT(*)
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY page, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '2' SECOND);`;

/** 'yyyy-MM-dd HH:mm:ss.SSS' (UTC) → epoch ms. */
const parseTs = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

async function putFor(endpoint: string, durationMs: number, tag: string): Promise<number> {
  const k = stockKinesis(endpoint);
  const end = Date.now() + durationMs;
  let n = 0;
  try {
    while (Date.now() < end) {
      const records = Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `${tag}-${n + i}`, Data: Buffer.from(JSON.stringify({ page: PAGES[(n + i) % PAGES.length] })) }));
      const out = await k.send(new PutRecordsCommand({ StreamName: 'views', Records: records }));
      expect(out.FailedRecordCount).toBe(0);
      n += records.length;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    k.destroy();
  }
  return n;
}

describe('Analytics across a kill -9', () => {
  it('gives every window its complete result once, as if the server had never stopped', async () => {
    const dataDir = tempDir('rivulet-kda-restart-');
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ analytics: { commitSkewMs: 300, snapshotIntervalMs: 700 } }));
    let proc = await startIngest({ dataDir, args: ['--config', config] });
    procs.push(proc);
    let k = stockKinesis(proc.endpoint);
    let kda = stockAnalytics(proc.endpoint);
    await createStreams(k, [['views', 2], ['counts', 1]]);
    await createApplication(kda, { name: 'page-views', code: CODE, input: 'views', schema: jsonSchema([['PAGE', 'VARCHAR(16)']]), outputs: [streamOutput('COUNTS', 'counts')] });
    await startApplication(kda, 'page-views');
    k.destroy();
    kda.destroy();

    // Put for a while, then kill in the middle of a window (not at a boundary).
    let sent = await putFor(proc.endpoint, 3_500, 'a');
    const phase = Date.now() % WINDOW_MS;
    if (phase < 300 || phase > WINDOW_MS - 300) await new Promise((r) => setTimeout(r, 700));
    sent += await putFor(proc.endpoint, 300, 'b');
    await proc.kill();

    proc = await startIngest({ dataDir, args: ['--config', config] });
    procs.push(proc);
    kda = stockAnalytics(proc.endpoint);
    expect(await appStatus(kda, 'page-views')).toBe('RUNNING');
    sent += await putFor(proc.endpoint, 2_500, 'c');

    k = stockKinesis(proc.endpoint);
    const input = await readStream(k, 'views');
    expect(input).toHaveLength(sent);
    const expected = new Map<string, number>();
    for (const r of input) {
      const key = `${Math.floor(r.arrivalMs / WINDOW_MS) * WINDOW_MS}|${(JSON.parse(r.data) as { page: string }).page}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const lastWindow = Math.max(...input.map((r) => Math.floor(r.arrivalMs / WINDOW_MS) * WINDOW_MS));
    const rows = await eventually(
      async () => (await readStream(k, 'counts')).map((r) => JSON.parse(r.data) as { WINDOW_START: string; PAGE: string; VIEWS: number }),
      (list) => list.some((r) => parseTs(r.WINDOW_START) === lastWindow),
      15_000,
    );
    const got = new Map<string, number>();
    for (const r of rows) {
      const key = `${parseTs(r.WINDOW_START)}|${r.PAGE}`;
      expect(got.has(key), `window ${key} emitted twice`).toBe(false);
      got.set(key, r.VIEWS);
    }
    expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expected].sort()));
    k.destroy();
    kda.destroy();
  });
});
