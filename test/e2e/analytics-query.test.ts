/**
 * The ad-hoc query endpoint and `rivulet-ingest query`: one SELECT over what a stream retains,
 * with a given or discovered schema; SQL errors come back with their position and a non-zero exit.
 */
import { spawnSync } from 'node:child_process';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreams, jsonSchema } from '../harness/analytics.js';
import { stockKinesis } from '../harness/clients.js';
import { REPO_ROOT, startIngest, type IngestProcess } from '../harness/ingest.js';

let proc: IngestProcess;
const TRADES = Array.from({ length: 30 }, (_, i) => ({ ticker: ['AMZN', 'MSFT', 'AAPL'][i % 3]!, price: 5 + i }));

beforeAll(async () => {
  proc = await startIngest();
  const k = stockKinesis(proc.endpoint);
  await createStreams(k, [['trades', 2]]);
  const records = TRADES.map((t, i) => ({ PartitionKey: `p${i}`, Data: Buffer.from(JSON.stringify(t)) }));
  expect((await k.send(new PutRecordsCommand({ StreamName: 'trades', Records: records }))).FailedRecordCount).toBe(0);
  k.destroy();
  // The query reads what arrived before it started.
  await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await proc?.kill();
  proc?.cleanup();
});

async function query(body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${proc.endpoint}/analytics/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('ad-hoc SQL over a stream', () => {
  it('filters and projects with a given schema', async () => {
    const { status, json } = await query({
      StreamName: 'trades',
      Sql: 'SELECT STREAM ticker, price * 2 AS doubled FROM "SOURCE_SQL_STREAM_001" WHERE price >= 30',
      InputSchema: jsonSchema([['TICKER', 'VARCHAR(4)'], ['PRICE', 'INTEGER']]),
    });
    expect(status).toBe(200);
    expect(json.Columns).toEqual([{ Name: 'TICKER', Type: 'VARCHAR' }, { Name: 'DOUBLED', Type: 'INTEGER' }]);
    const expected = TRADES.filter((t) => t.price >= 30).map((t) => [t.ticker, t.price * 2]);
    expect((json.Rows as unknown[][]).sort()).toEqual(expected.sort());
    expect(json.RecordsRead).toBe(30);
  });

  it('discovers the schema when none is given, and aggregates per window', async () => {
    const { status, json } = await query({
      StreamName: 'trades',
      Sql: 'SELECT STREAM "ticker", COUNT(*) AS n, SUM("price") AS total FROM "SOURCE_SQL_STREAM_001" GROUP BY "ticker", FLOOR("SOURCE_SQL_STREAM_001".ROWTIME TO DAY)',
    });
    expect(status).toBe(200);
    expect((json.InputSchema as { RecordColumns: { Name: string }[] }).RecordColumns.map((c) => c.Name)).toEqual(['ticker', 'price']);
    const byTicker = new Map<string, { n: number; total: number }>();
    for (const [ticker, n, total] of json.Rows as [string, number, number][]) {
      const acc = byTicker.get(ticker) ?? { n: 0, total: 0 };
      byTicker.set(ticker, { n: acc.n + n, total: acc.total + total });
    }
    for (const ticker of ['AMZN', 'MSFT', 'AAPL']) {
      const mine = TRADES.filter((t) => t.ticker === ticker);
      expect(byTicker.get(ticker)).toEqual({ n: mine.length, total: mine.reduce((s, t) => s + t.price, 0) });
    }
  });

  it('answers bad SQL with CodeValidationException at its line and column', async () => {
    const { status, json } = await query({ StreamName: 'trades', Sql: 'SELECT STREAM "ticker"\nFROM "SOURCE_SQL_STREAM_001" WHERE', InputSchema: jsonSchema([['ticker', 'VARCHAR(4)']]) });
    expect(status).toBe(400);
    expect(json.__type).toBe('CodeValidationException');
    expect(json.message).toMatch(/line 2, column 35/);
  });

  it('runs from the command line, and fails with one line and a non-zero exit', () => {
    const cli = (sql: string) =>
      spawnSync(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', 'ingest-server/src/main.ts', 'query', '--endpoint', proc.endpoint, '--stream', 'trades', '--sql', sql], { cwd: REPO_ROOT, encoding: 'utf8' });
    const ok = cli('SELECT STREAM "ticker", "price" FROM "SOURCE_SQL_STREAM_001" WHERE "price" = 34');
    expect(ok.status).toBe(0);
    expect(ok.stdout.split('\n').filter((l) => l.trim() !== '')).toEqual(['ticker  price', '------  -----', 'AAPL    34', '(1 rows)']);
    const bad = cli('SELECT STREAM nope FROM "SOURCE_SQL_STREAM_001"');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^query: CodeValidationException: .*line 1, column 15: column "NOPE" not found/)]);
  });
});
