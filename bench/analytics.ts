/**
 * Analytics benchmark: a tumbling GROUP BY over 50 tickers and a sliding-window average, timed
 * (1) through the operator pipeline in this process (AppGraph, no I/O), (2) end to end from a
 * Rivulet stream into an output stream, and (3) from a window's close to its output record
 * under a steady live load. Prints one markdown table of medians with the targets.
 *   npm run bench:analytics -- [--rows 2000000] [--records 1000000] [--repeats 3] [--windows 30] [--rate 2000] [--compiled] [--profile DIR] [--write docs/benchmarks.md]
 * The server runs from the sources through tsx (what is checked out, not a possibly stale
 * dist/); `--compiled` runs ingest-server/bin after `npx tsc -b`. Both run the same JS once loaded.
 * The input is loaded with a raw HTTP client (bodies built once, responses scanned) while the
 * application is stopped, so the end-to-end time is the analytics engine's alone.
 * No peer exists to run beside it (KDA SQL is not self-hostable).
 */
import http from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  CreateApplicationCommand,
  DeleteApplicationCommand,
  DescribeApplicationCommand,
  KinesisAnalyticsClient,
  StartApplicationCommand,
  StopApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics';
import { ARRIVAL_COLUMN } from '../ingest-server/src/analytics/app/build.js';
import { AppGraph, type InAppStream } from '../ingest-server/src/analytics/app/graph.js';
import type { Row } from '../ingest-server/src/analytics/engine/values.js';
import { writeDocBlock } from './doc-block.js';
import { formatProfileSummary, monotonicUs, profileFiles, summarizeProfile, type ProfileWindow } from './streams-profile.js';
import { median, percentile } from './streams-stats.js';
import { rawKinesis } from './streams-raw.js';
import { cleanupAll, startRivulet, type ServerProcess } from './streams-servers.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    records: { type: 'string', default: '1000000' },
    repeats: { type: 'string', default: '3' },
    windows: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2000' },
    compiled: { type: 'boolean', default: false },
    profile: { type: 'string' },
    write: { type: 'string' },
  },
});
const PIPELINE_ROWS = Number(args.rows);
const RECORDS = Number(args.records);
const REPEATS = Number(args.repeats);
const LATENCY_WINDOWS = Number(args.windows);
const LIVE_RATE = Number(args.rate);
/** Event time spread of the synthetic pipeline rows, and how often the graph is advanced (like a runner poll). */
const PIPELINE_ROWS_PER_SECOND = 100_000;
const ADVANCE_EVERY_ROWS = 10_000;
/** Kinesis: PutRecords takes at most 500 records. */
const BATCH = 500;
const LOAD_CONCURRENCY = 8;
const INPUT_SHARDS = 4;
const END_TICKER = 'END';
const TIMEOUT_MS = 900_000;
const TICKERS = Array.from({ length: 50 }, (_, i) => `T${String(i).padStart(2, '0')}`);
const SOURCE = 'SOURCE_SQL_STREAM_001';
const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/bench`;
const streamArn = (name: string) => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`;

type Kind = 'tumbling' | 'sliding';
const CODE: Record<Kind, string> = {
  tumbling: `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (window_start TIMESTAMP, ticker VARCHAR(4), trades INTEGER, avg_price DOUBLE, low DOUBLE, high DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM STEP("${SOURCE}".ROWTIME BY INTERVAL '1' SECOND), ticker, COUNT(*), AVG(price), MIN(price), MAX(price)
  FROM "${SOURCE}"
  GROUP BY ticker, STEP("${SOURCE}".ROWTIME BY INTERVAL '1' SECOND);`,
  sliding: `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE, avg_price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM ticker, price, AVG(price) OVER (PARTITION BY ticker RANGE INTERVAL '1' MINUTE PRECEDING)
  FROM "${SOURCE}";`,
};

const tickerOf = (i: number) => TICKERS[(i * 7 + (i >> 6)) % TICKERS.length]!;
const priceOf = (i: number) => 100 + ((i * 7919) % 10_000) / 100;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- 1. Operator pipeline: AppGraph in this process ----

const INPUT: InAppStream = {
  name: SOURCE,
  columns: [{ name: 'TICKER', type: 'VARCHAR', sqlType: { name: 'VARCHAR', length: 4 } }, { name: 'PRICE', type: 'DOUBLE', sqlType: { name: 'DOUBLE' } }, ARRIVAL_COLUMN],
};

function pipelineRows(n: number): Row[] {
  const t0 = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const rowtime = t0 + Math.floor((i * 1000) / PIPELINE_ROWS_PER_SECOND);
    return { rowtime, values: [tickerOf(i), priceOf(i), rowtime] };
  });
}

function pipelineRun(kind: Kind, rows: readonly Row[]): { rowsPerSecond: number; outputRows: number } {
  const graph = AppGraph.compile(CODE[kind], [INPUT], [], { graceMs: 0, now: () => 0 });
  let outputRows = 0;
  graph.onRow('DESTINATION_SQL_STREAM', () => outputRows++);
  const start = performance.now();
  for (let i = 0; i < rows.length; i++) {
    graph.insert(SOURCE, rows[i]!);
    if ((i + 1) % ADVANCE_EVERY_ROWS === 0) graph.advance(rows[i]!.rowtime);
  }
  graph.advance(rows[rows.length - 1]!.rowtime + 2_000);
  const seconds = (performance.now() - start) / 1000;
  return { rowsPerSecond: rows.length / seconds, outputRows };
}

// ---- Raw Kinesis client (bench/streams-raw.ts: bodies serialized once, responses scanned) ----

const agent = new http.Agent({ keepAlive: true, maxSockets: LOAD_CONCURRENCY + 2 });
const kinesis = (endpoint: string, action: string, body: Buffer | string): Promise<Buffer> => rawKinesis(agent, endpoint, action, body);

async function createStream(endpoint: string, name: string, shards: number): Promise<void> {
  await kinesis(endpoint, 'CreateStream', JSON.stringify({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 300; i++) {
    const out = await kinesis(endpoint, 'DescribeStreamSummary', JSON.stringify({ StreamName: name }));
    if (out.includes('"StreamStatus":"ACTIVE"')) return;
    await sleep(100);
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

function putBody(stream: string, from: number, count: number, ticker?: (i: number) => string): Buffer {
  const records = Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return { Data: Buffer.from(JSON.stringify({ ticker: ticker ? ticker(i) : tickerOf(i), price: priceOf(i) })).toString('base64'), PartitionKey: String(i) };
  });
  return Buffer.from(JSON.stringify({ StreamName: stream, Records: records }));
}

async function putRecords(endpoint: string, body: Buffer): Promise<void> {
  const out = await kinesis(endpoint, 'PutRecords', body);
  const failed = /"FailedRecordCount":(\d+)/.exec(out.toString('latin1', 0, 200))?.[1];
  if (failed !== '0') throw new Error(`PutRecords: ${failed ?? '?'} records failed: ${out.subarray(0, 300).toString()}`);
}

/** Loads `n` records (8 PutRecords of 500 in flight); returns records/s. */
async function load(endpoint: string, stream: string, n: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async () => {
      while (next < n) {
        const from = next;
        next += BATCH;
        await putRecords(endpoint, putBody(stream, from, Math.min(BATCH, n - from)));
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

interface OutRecord {
  data: string;
  arrivalMs: number;
}

/** Output records of shard 0 from `iteratorSpec` up to the tip (the output streams have one shard). */
async function readOutput(endpoint: string, stream: string, iteratorSpec: Record<string, unknown>, onPage?: (n: number) => void): Promise<OutRecord[]> {
  const first = await kinesis(endpoint, 'GetShardIterator', JSON.stringify({ StreamName: stream, ShardId: 'shardId-000000000000', ...iteratorSpec }));
  let iterator: string | undefined = (JSON.parse(first.toString()) as { ShardIterator: string }).ShardIterator;
  const out: OutRecord[] = [];
  while (iterator) {
    const page = JSON.parse((await kinesis(endpoint, 'GetRecords', JSON.stringify({ ShardIterator: iterator, Limit: 10_000 }))).toString()) as {
      Records: { Data: string; ApproximateArrivalTimestamp: number }[];
      NextShardIterator?: string;
      MillisBehindLatest?: number;
    };
    if (onPage) onPage(page.Records.length);
    else for (const r of page.Records) out.push({ data: Buffer.from(r.Data, 'base64').toString(), arrivalMs: Math.round(r.ApproximateArrivalTimestamp * 1000) });
    if (page.Records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
    iterator = page.NextShardIterator;
  }
  return out;
}

/** Whether any record arrived in the output during the last `quietMs` (one GetRecords of Limit 1). */
async function recentOutput(endpoint: string, stream: string, quietMs: number): Promise<boolean> {
  const first = await kinesis(endpoint, 'GetShardIterator', JSON.stringify({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: (Date.now() - quietMs) / 1000 }));
  const iterator = (JSON.parse(first.toString()) as { ShardIterator: string }).ShardIterator;
  const page = await kinesis(endpoint, 'GetRecords', JSON.stringify({ ShardIterator: iterator, Limit: 1 }));
  return page.includes('"SequenceNumber"');
}

// ---- 2. End to end: records in a stream to rows in the output stream ----

const analyticsClient = (endpoint: string) => new KinesisAnalyticsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });

async function createApp(client: KinesisAnalyticsClient, name: string, kind: Kind, input: string, output: string): Promise<string> {
  await client.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      ApplicationCode: CODE[kind],
      Inputs: [
        {
          NamePrefix: 'SOURCE_SQL_STREAM',
          KinesisStreamsInput: { ResourceARN: streamArn(input), RoleARN: ROLE },
          InputSchema: {
            RecordFormat: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } },
            RecordEncoding: 'UTF-8',
            RecordColumns: [
              { Name: 'TICKER', SqlType: 'VARCHAR(4)', Mapping: '$.ticker' },
              { Name: 'PRICE', SqlType: 'DOUBLE', Mapping: '$.price' },
            ],
          },
        },
      ],
      Outputs: [{ Name: 'DESTINATION_SQL_STREAM', KinesisStreamsOutput: { ResourceARN: streamArn(output), RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' } }],
    }),
  );
  const detail = (await client.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
  return detail.InputDescriptions![0]!.InputId!;
}

async function stopAndDelete(client: KinesisAnalyticsClient, name: string): Promise<void> {
  await client.send(new StopApplicationCommand({ ApplicationName: name }));
  const detail = (await client.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
  await client.send(new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: detail.CreateTimestamp! }));
}

interface E2eResult {
  rowsPerSecond: number;
  seconds: number;
  outputRows: number;
  serverCores: number;
}

const profileWindows: ProfileWindow[] = [];

/**
 * Starts an application at TRIM_HORIZON over the loaded input and waits for the output record
 * of the END sentinel (put after every other record, so its row is the last one out): the
 * output is polled cheaply (has anything arrived in the last second?) and, once quiet, its tail
 * is read to find the sentinel's arrival time, which ends the measurement.
 */
async function e2eRun(server: ServerProcess, client: KinesisAnalyticsClient, kind: Kind, run: number, input: string, inputRecords: number): Promise<E2eResult> {
  const app = `${kind}-${run}`;
  const output = `out-${app}`;
  await createStream(server.endpoint, output, 1);
  const inputId = await createApp(client, app, kind, input, output);
  const cpu0 = server.cpuSeconds();
  const profileStart = monotonicUs();
  const startMs = Date.now();
  await client.send(new StartApplicationCommand({ ApplicationName: app, InputConfigurations: [{ Id: inputId, InputStartingPositionConfiguration: { InputStartingPosition: 'TRIM_HORIZON' } }] }));
  let endMs: number | undefined;
  let seen = false;
  while (endMs === undefined) {
    if (Date.now() - startMs > TIMEOUT_MS) throw new Error(`${app}: no END row within ${TIMEOUT_MS} ms`);
    await sleep(250);
    const recent = await recentOutput(server.endpoint, output, 1_000);
    if (recent) seen = true;
    if (!seen || recent) continue;
    const tail = await readOutput(server.endpoint, output, { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: (Date.now() - 3_000) / 1000 });
    const last = tail[tail.length - 1];
    if (last && (JSON.parse(last.data) as { TICKER: string }).TICKER === END_TICKER) endMs = last.arrivalMs;
  }
  const cpu = server.cpuSeconds() - cpu0;
  profileWindows.push({ startUs: profileStart, endUs: profileStart + (endMs - startMs) * 1000 });
  await stopAndDelete(client, app);
  // Check the output covers the input: every record counted once (tumbling), one row each (sliding).
  let outputRows = 0;
  let counted = 0;
  if (kind === 'tumbling') {
    const rows = await readOutput(server.endpoint, output, { ShardIteratorType: 'TRIM_HORIZON' });
    outputRows = rows.length;
    counted = rows.reduce((n, r) => n + (JSON.parse(r.data) as { TRADES: number }).TRADES, 0);
  } else {
    await readOutput(server.endpoint, output, { ShardIteratorType: 'TRIM_HORIZON' }, (n) => (outputRows += n));
    counted = outputRows;
  }
  if (counted !== inputRecords) throw new Error(`${app}: output covers ${counted} of ${inputRecords} input records`);
  await kinesis(server.endpoint, 'DeleteStream', JSON.stringify({ StreamName: output }));
  const seconds = (endMs - startMs) / 1000;
  return { rowsPerSecond: inputRecords / seconds, seconds, outputRows, serverCores: cpu / seconds };
}

// ---- 3. Latency: window close to output record, under a steady live load ----

async function latencyRun(server: ServerProcess, client: KinesisAnalyticsClient): Promise<{ samplesMs: number[]; windows: number }> {
  await createStream(server.endpoint, 'live-in', INPUT_SHARDS);
  await createStream(server.endpoint, 'live-out', 1);
  const inputId = await createApp(client, 'latency', 'tumbling', 'live-in', 'live-out');
  await client.send(new StartApplicationCommand({ ApplicationName: 'latency', InputConfigurations: [{ Id: inputId, InputStartingPositionConfiguration: { InputStartingPosition: 'TRIM_HORIZON' } }] }));
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((LIVE_RATE * tickMs) / 1000));
  const startMs = Date.now();
  const stopMs = startMs + (LATENCY_WINDOWS + 2) * 1000;
  let tick = 0;
  const inFlight: Promise<void>[] = [];
  // Open loop: each tick's batch goes out at its scheduled time, whether or not the last one is back.
  while (Date.now() < stopMs) {
    inFlight.push(putRecords(server.endpoint, putBody('live-in', tick * perTick, perTick)));
    tick++;
    await sleep(Math.max(0, startMs + tick * tickMs - Date.now()));
  }
  await Promise.all(inFlight);
  const producedUntil = Date.now();
  await sleep(1_500);
  await stopAndDelete(client, 'latency');
  const rows = await readOutput(server.endpoint, 'live-out', { ShardIteratorType: 'TRIM_HORIZON' });
  const samplesMs: number[] = [];
  const windows = new Set<number>();
  for (const r of rows) {
    const row = JSON.parse(r.data) as { WINDOW_START: string };
    const windowEnd = Date.parse(`${row.WINDOW_START.replace(' ', 'T')}Z`) + 1_000;
    // Only windows wholly inside the live load: the first and the last are partial.
    if (windowEnd - 1_000 < startMs || windowEnd > producedUntil) continue;
    windows.add(windowEnd);
    samplesMs.push(r.arrivalMs - windowEnd);
  }
  return { samplesMs, windows: windows.size };
}

// ---- Report ----

function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown';
  return `${availableParallelism()} CPUs (nproc; ${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const pass = (ok: boolean) => (ok ? '✅' : '❌');

try {
  const loadBefore = loadavg();
  const rows = pipelineRows(PIPELINE_ROWS);
  const pipeline: Record<Kind, number[]> = { tumbling: [], sliding: [] };
  for (let i = 0; i < REPEATS; i++) {
    for (const kind of ['tumbling', 'sliding'] as const) {
      const r = pipelineRun(kind, rows);
      pipeline[kind].push(r.rowsPerSecond);
      process.stderr.write(`pipeline ${kind} run ${i + 1}: ${fmt(r.rowsPerSecond)} rows/s, ${fmt(r.outputRows)} output rows\n`);
    }
  }
  rows.length = 0;

  const server = await startRivulet({ compiled: args.compiled, cpuProfileDir: args.profile });
  const client = analyticsClient(server.endpoint);
  await createStream(server.endpoint, 'trades', INPUT_SHARDS);
  const loadRate = await load(server.endpoint, 'trades', RECORDS);
  await putRecords(server.endpoint, putBody('trades', RECORDS, 1, () => END_TICKER));
  process.stderr.write(`loaded ${fmt(RECORDS)} records at ${fmt(loadRate)} records/s\n`);
  const e2e: Record<Kind, E2eResult[]> = { tumbling: [], sliding: [] };
  for (let i = 0; i < REPEATS; i++) {
    for (const kind of ['tumbling', 'sliding'] as const) {
      const r = await e2eRun(server, client, kind, i, 'trades', RECORDS + 1);
      e2e[kind].push(r);
      process.stderr.write(`e2e ${kind} run ${i + 1}: ${JSON.stringify(r)}\n`);
    }
  }
  const latency = await latencyRun(server, client);
  process.stderr.write(`latency: ${latency.samplesMs.length} rows over ${latency.windows} windows\n`);
  const loadAfter = loadavg();
  client.destroy();
  await server.stop();
  agent.destroy();
  if (args.profile) {
    for (const f of profileFiles(args.profile).slice(0, 1)) process.stderr.write(`end-to-end phases only:\n${formatProfileSummary(summarizeProfile(f, 20, profileWindows))}\n`);
  }

  const m = (kind: Kind, f: (r: E2eResult) => number) => median(e2e[kind].map(f));
  const [pt, ps] = [median(pipeline.tumbling), median(pipeline.sliding)];
  const [et, es] = [m('tumbling', (r) => r.rowsPerSecond), m('sliding', (r) => r.rowsPerSecond)];
  const p99 = percentile(latency.samplesMs, 99);
  const table = [
    `Command: \`npm run bench:analytics -- --rows ${PIPELINE_ROWS} --records ${RECORDS} --repeats ${REPEATS} --windows ${LATENCY_WINDOWS} --rate ${LIVE_RATE}${args.compiled ? ' --compiled' : ''}\`; ${machine()}; run at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after. Server: ${args.compiled ? 'compiled (ingest-server/bin)' : 'sources through tsx'}, durable writes (fsync per group commit), analytics config defaults (poll 20 ms, commit skew 20 ms, read limit 10,000 per shard, snapshot every 5 s).`,
    '',
    `Medians of ${REPEATS} runs. Pipeline: ${fmt(PIPELINE_ROWS)} pre-built rows, 50 tickers, ROWTIMEs spread at ${fmt(PIPELINE_ROWS_PER_SECOND)} rows/s of event time, \`advance\` every ${fmt(ADVANCE_EVERY_ROWS)} rows. End to end: ${fmt(RECORDS)} JSON records \`{"ticker","price"}\` loaded into a ${INPUT_SHARDS}-shard stream while the application is stopped, then the application started at TRIM_HORIZON; time from StartApplication to the arrival of the last output record in a 1-shard output stream, all input counted in the output. Latency: ${fmt(LIVE_RATE)} records/s live over 50 tickers, 1 s tumbling windows; output record's ApproximateArrivalTimestamp − window end, over every row of ${latency.windows} full windows.`,
    '',
    '| Measure | Result | Target | Pass |',
    '|---|--:|---|:-:|',
    `| Operator pipeline, tumbling GROUP BY ticker, STEP 1 s (COUNT/AVG/MIN/MAX), input rows/s | ${fmt(pt)} | ≥ 1,000,000 | ${pass(pt >= 1_000_000)} |`,
    `| Operator pipeline, sliding AVG OVER (PARTITION BY ticker RANGE 1 MINUTE), input rows/s | ${fmt(ps)} | ≥ 1,000,000 | ${pass(ps >= 1_000_000)} |`,
    `| End to end from a Rivulet stream, tumbling, input rows/s | ${fmt(et)} | ≥ 200,000 | ${pass(et >= 200_000)} |`,
    `| End to end from a Rivulet stream, sliding (one output row per input row), input rows/s | ${fmt(es)} | ≥ 200,000 | ${pass(es >= 200_000)} |`,
    `| Window close → output record, p50 / p99 / max, ms (${latency.samplesMs.length} rows) | ${fmt(percentile(latency.samplesMs, 50))} / ${fmt(p99)} / ${fmt(percentile(latency.samplesMs, 100))} | p99 ≤ 100 | ${pass(p99 <= 100)} |`,
    `| Extra: end to end seconds per run, tumbling / sliding | ${e2e.tumbling.map((r) => r.seconds.toFixed(1)).join(', ')} / ${e2e.sliding.map((r) => r.seconds.toFixed(1)).join(', ')} | | |`,
    `| Extra: server CPU during end to end, cores, tumbling / sliding | ${fmt(m('tumbling', (r) => r.serverCores), 2)} / ${fmt(m('sliding', (r) => r.serverCores), 2)} | | |`,
    `| Extra: loading the input, PutRecords records/s (raw client, 8 in flight) | ${fmt(loadRate)} | | |`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (args.write) writeDocBlock(args.write, 'analytics', 'Analytics: Kinesis Data Analytics SQL', table);
} finally {
  cleanupAll();
}
process.exit(0);
