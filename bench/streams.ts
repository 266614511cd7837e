/**
 * Data Streams benchmark: rivulet-ingest (durable) against kinesalite (in-memory), each a child
 * process, driven from this process with the same AWS SDK v3 client code. Prints a markdown
 * table of medians with targets; `--write FILE` puts it into the benchmarks doc.
 *   npm run bench:streams -- [--quick] [--write docs/benchmarks.md] [--concurrency 8]
 *                            [--only rivulet|kinesalite] [--profile DIR] [--store jetstream]
 * `--store jetstream` also runs rivulet-ingest on a 3-node JetStream cluster (replicas 3): one more column, and its ratio to LevelDB.
 * Owns orchestration and the result model; workloads, servers and formatting are in
 * streams-workload.ts, streams-servers.ts, streams-jetstream.ts and streams-report.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { formatProfileSummary, monotonicUs, profileFiles, summarizeProfile, type ProfileWindow } from './streams-profile.js';
import { cleanupJetStream, jetstreamMethodLines, startJetStreamRivulet, type JetStreamNotes } from './streams-jetstream.js';
import { count, detailTable, machineDescription, markdownTable, withJetstream, writeBenchmarksDoc, type Row } from './streams-report.js';
import { cleanupAll, filesystemOf, machineBusySeconds, startKinesalite, startRivulet, type ServerName, type ServerProcess } from './streams-servers.js';
import { rawBatches, rawDrain, rawPutThroughput } from './streams-raw.js';
import { median, type LatencySummary } from './streams-stats.js';
import {
  BATCH_RECORDS,
  EMPTY_POLL_PAUSE_MS,
  buildBatches,
  createStream,
  drain,
  http1Client,
  putRecordLatency,
  putRecordsThroughput,
  putToGetLatency,
  stockClient,
  type PutToGetResult,
  type ThroughputResult,
} from './streams-workload.js';

const STREAM = 'bench-streams';
const SHARDS = 4;

interface Sizes {
  repeats: number;
  putTargetRecords: number;
  putMaxMs: number;
  warmupMs: number;
  latencyCalls: number;
  latencyWarmupCalls: number;
  putToGetRatePerSecond: number;
  putToGetDurationMs: number;
}

const FULL: Sizes = { repeats: 3, putTargetRecords: 200_000, putMaxMs: 15_000, warmupMs: 2_000, latencyCalls: 2_000, latencyWarmupCalls: 100, putToGetRatePerSecond: 200, putToGetDurationMs: 5_000 };
const QUICK: Sizes = { repeats: 3, putTargetRecords: 10_000, putMaxMs: 3_000, warmupMs: 300, latencyCalls: 200, latencyWarmupCalls: 20, putToGetRatePerSecond: 200, putToGetDurationMs: 1_000 };

interface Measured<T> {
  result: T;
  serverCores: number;
  clientCores: number;
  /** Every other process on the machine: the bench shares it, so this is noise made visible. */
  otherCores: number;
  /** The server's VmHWM when the run ended, to see which phase set the peak. */
  peakRssAfterBytes: number;
}

/** Measured phases, by name, as monotonic windows for slicing a CPU profile. */
type PhaseWindows = Map<string, ProfileWindow[]>;

interface ServerResults {
  put: Measured<ThroughputResult>[];
  drain: Measured<ThroughputResult>[];
  rawPut: Measured<ThroughputResult>[];
  rawDrain: Measured<ThroughputResult>[];
  storedRecords: number;
  putLatency: LatencySummary;
  putToGet: PutToGetResult;
  h2Put: Measured<ThroughputResult>[];
  h2Latency: LatencySummary | null;
  peakRssBytes: number;
  phases: PhaseWindows;
}

/** Runs `fn` as phase `phase` and reports how many cores the server, this client and everything else kept busy meanwhile. */
async function withCpu<T>(server: ServerProcess, phases: PhaseWindows, phase: string, fn: () => Promise<T>): Promise<Measured<T>> {
  const serverStart = server.cpuSeconds();
  const clientStart = process.cpuUsage();
  const machineStart = machineBusySeconds();
  const startUs = monotonicUs();
  const wallStart = performance.now();
  const result = await fn();
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const window = { startUs, endUs: monotonicUs() };
  phases.set(phase, [...(phases.get(phase) ?? []), window]);
  const clientCpu = process.cpuUsage(clientStart);
  const serverCores = (server.cpuSeconds() - serverStart) / wallSeconds;
  const clientCores = (clientCpu.user + clientCpu.system) / 1e6 / wallSeconds;
  const machineCores = (machineBusySeconds() - machineStart) / wallSeconds;
  const otherCores = Math.max(0, machineCores - serverCores - clientCores);
  return { result, serverCores, clientCores, otherCores, peakRssAfterBytes: server.peakRssBytes() };
}

/** The server code measured: HEAD, and whether server or shared sources differ from it. */
function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'ingest-server', 'shared'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} plus uncommitted changes under ingest-server/ or shared/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function measure(server: ServerProcess, sizes: Sizes, concurrency: number): Promise<ServerResults> {
  const client = http1Client(server.endpoint);
  const batches = buildBatches();
  const putOpts = { concurrency, targetRecords: sizes.putTargetRecords, maxMs: sizes.putMaxMs };
  const phases: PhaseWindows = new Map();
  try {
    const shardIds = await createStream(client, STREAM, SHARDS);
    const warm = await putRecordsThroughput(client, STREAM, batches, { ...putOpts, maxMs: sizes.warmupMs });
    let storedRecords = warm.records;
    const put: Measured<ThroughputResult>[] = [];
    for (let i = 0; i < sizes.repeats; i++) {
      const m = await withCpu(server, phases, 'PutRecords', () => putRecordsThroughput(client, STREAM, batches, putOpts));
      storedRecords += m.result.records;
      put.push(m);
      log(`${server.name} PutRecords run ${i + 1}: ${count(m.result.recordsPerSecond)} records/s (${count(m.result.records)} in ${m.result.seconds.toFixed(1)} s, ${m.result.failedRecords} failed)`);
    }
    const drains: Measured<ThroughputResult>[] = [];
    for (let i = 0; i < sizes.repeats; i++) {
      const m = await withCpu(server, phases, 'drain', () => drain(client, STREAM, shardIds));
      drains.push(m);
      log(`${server.name} drain run ${i + 1}: ${count(m.result.recordsPerSecond)} records/s (${count(m.result.records)} of ${count(storedRecords)} in ${m.result.seconds.toFixed(1)} s)`);
      if (m.result.records !== storedRecords) log(`WARNING ${server.name} drain read ${m.result.records} records, expected ${storedRecords}`);
    }
    // The same phases through the raw client, which costs almost nothing: the server's capacity.
    const rawBodies = rawBatches(STREAM);
    const rawPut: Measured<ThroughputResult>[] = [];
    for (let i = 0; i < sizes.repeats; i++) {
      const m = await withCpu(server, phases, 'PutRecords (raw client)', () => rawPutThroughput(server.endpoint, rawBodies, putOpts));
      storedRecords += m.result.records;
      rawPut.push(m);
      log(`${server.name} PutRecords (raw client) run ${i + 1}: ${count(m.result.recordsPerSecond)} records/s (${m.result.failedRecords} failed)`);
    }
    const rawDrains: Measured<ThroughputResult>[] = [];
    for (let i = 0; i < sizes.repeats; i++) {
      const m = await withCpu(server, phases, 'drain (raw client)', () => rawDrain(server.endpoint, STREAM, shardIds));
      rawDrains.push(m);
      log(`${server.name} drain (raw client) run ${i + 1}: ${count(m.result.recordsPerSecond)} records/s (${count(m.result.records)} of ${count(storedRecords)})`);
      if (m.result.records !== storedRecords) log(`WARNING ${server.name} raw drain read ${m.result.records} records, expected ${storedRecords}`);
    }
    const putLatency = (await withCpu(server, phases, 'PutRecord', () => putRecordLatency(client, STREAM, sizes.latencyCalls, sizes.latencyWarmupCalls))).result;
    log(`${server.name} PutRecord p50 ${putLatency.p50Ms.toFixed(2)} ms, p99 ${putLatency.p99Ms.toFixed(2)} ms`);
    const putToGetOpts = { ratePerSecond: sizes.putToGetRatePerSecond, durationMs: sizes.putToGetDurationMs };
    const putToGet = (await withCpu(server, phases, 'put→get', () => putToGetLatency(client, STREAM, shardIds, putToGetOpts))).result;
    log(`${server.name} put→get p50 ${putToGet.p50Ms.toFixed(2)} ms, p99 ${putToGet.p99Ms.toFixed(2)} ms (${putToGet.count}/${putToGet.sent} seen, ${putToGet.pollsPerSecondPerShard.toFixed(0)} polls/s per shard)`);
    let h2Put: Measured<ThroughputResult>[] = [];
    let h2Latency: LatencySummary | null = null;
    if (server.name !== 'kinesalite') ({ h2Put, h2Latency } = await measureStockHttp2(server, phases, sizes, concurrency, batches));
    return { put, drain: drains, rawPut, rawDrain: rawDrains, storedRecords, putLatency, putToGet, h2Put, h2Latency, peakRssBytes: server.peakRssBytes(), phases };
  } finally {
    client.destroy();
  }
}

/** The extra rows: rivulet through the stock client, whose default handler speaks HTTP/2. */
async function measureStockHttp2(server: ServerProcess, phases: PhaseWindows, sizes: Sizes, concurrency: number, batches: ReturnType<typeof buildBatches>) {
  const client: KinesisClient = stockClient(server.endpoint);
  try {
    const putOpts = { concurrency, targetRecords: sizes.putTargetRecords, maxMs: sizes.putMaxMs };
    await putRecordsThroughput(client, STREAM, batches, { ...putOpts, maxMs: sizes.warmupMs });
    const h2Put: Measured<ThroughputResult>[] = [];
    for (let i = 0; i < sizes.repeats; i++) {
      const m = await withCpu(server, phases, 'PutRecords (stock HTTP/2)', () => putRecordsThroughput(client, STREAM, batches, putOpts));
      h2Put.push(m);
      log(`${server.name} PutRecords (stock HTTP/2 client) run ${i + 1}: ${count(m.result.recordsPerSecond)} records/s`);
    }
    const h2Latency = await putRecordLatency(client, STREAM, sizes.latencyCalls, sizes.latencyWarmupCalls);
    return { h2Put, h2Latency };
  } finally {
    client.destroy();
  }
}

const medianOf = (runs: readonly Measured<ThroughputResult>[] | undefined, pick: (r: ThroughputResult) => number): number | null =>
  runs && runs.length > 0 ? median(runs.map((m) => pick(m.result))) : null;

function buildRows(r: ServerResults | undefined, k: ServerResults | undefined, concurrency: number): Row[] {
  const rPut = medianOf(r?.put, (t) => t.recordsPerSecond);
  const kPut = medianOf(k?.put, (t) => t.recordsPerSecond);
  const rDrain = medianOf(r?.drain, (t) => t.recordsPerSecond);
  const mib = (b: number | undefined) => (b === undefined ? null : b / 2 ** 20);
  const met = (v: number | null, ok: (v: number) => boolean) => v !== null && !Number.isNaN(v) && ok(v);
  return [
    {
      metric: `PutRecords, records/s (${BATCH_RECORDS} × 1 KiB, ${concurrency} in flight)`,
      rivulet: rPut,
      kinesalite: kPut,
      better: 'higher',
      digits: 0,
      target: { text: '≥ 100,000 and ≥ 8× kinesalite', met: met(rPut, (v) => v >= 100_000) && rPut !== null && kPut !== null && rPut >= 8 * kPut },
    },
    { metric: 'PutRecords, MiB/s of record data', rivulet: medianOf(r?.put, (t) => t.mibPerSecond), kinesalite: medianOf(k?.put, (t) => t.mibPerSecond), better: 'higher', digits: 1 },
    { metric: 'PutRecord latency p50, ms (sequential)', rivulet: r?.putLatency.p50Ms ?? null, kinesalite: k?.putLatency.p50Ms ?? null, better: 'lower', digits: 2 },
    { metric: 'PutRecord latency p99, ms (sequential)', rivulet: r?.putLatency.p99Ms ?? null, kinesalite: k?.putLatency.p99Ms ?? null, better: 'lower', digits: 2 },
    {
      metric: `GetRecords drain from TRIM_HORIZON, records/s (${SHARDS} shards, Limit 10000)`,
      rivulet: rDrain,
      kinesalite: medianOf(k?.drain, (t) => t.recordsPerSecond),
      better: 'higher',
      digits: 0,
      target: { text: '≥ 200,000', met: met(rDrain, (v) => v >= 200_000) },
    },
    {
      metric: 'Server capacity: PutRecords, records/s, raw HTTP/1.1 client (no SDK)',
      rivulet: medianOf(r?.rawPut, (t) => t.recordsPerSecond),
      kinesalite: medianOf(k?.rawPut, (t) => t.recordsPerSecond),
      better: 'higher',
      digits: 0,
    },
    {
      metric: 'Server capacity: drain, records/s, raw HTTP/1.1 client (no SDK)',
      rivulet: medianOf(r?.rawDrain, (t) => t.recordsPerSecond),
      kinesalite: medianOf(k?.rawDrain, (t) => t.recordsPerSecond),
      better: 'higher',
      digits: 0,
    },
    { metric: 'put→get latency p50, ms', rivulet: r?.putToGet.p50Ms ?? null, kinesalite: k?.putToGet.p50Ms ?? null, better: 'lower', digits: 2 },
    {
      metric: 'put→get latency p99, ms',
      rivulet: r?.putToGet.p99Ms ?? null,
      kinesalite: k?.putToGet.p99Ms ?? null,
      better: 'lower',
      digits: 2,
      target: { text: '≤ 20', met: met(r?.putToGet.p99Ms ?? null, (v) => v <= 20) },
    },
    {
      metric: 'Server peak RSS (VmHWM), MiB',
      rivulet: mib(r?.peakRssBytes),
      kinesalite: mib(k?.peakRssBytes),
      better: 'lower',
      digits: 0,
      target: { text: '≤ 256', met: met(mib(r?.peakRssBytes), (v) => v <= 256) },
    },
    { metric: 'Extra: PutRecords, records/s, stock client (HTTP/2)', rivulet: medianOf(r?.h2Put, (t) => t.recordsPerSecond), kinesalite: null, better: 'higher', digits: 0 },
    {
      metric: 'Extra: PutRecord p50 / p99, ms, stock client (HTTP/2)',
      rivulet: null,
      kinesalite: null,
      better: 'lower',
      digits: 2,
      display: r?.h2Latency ? { rivulet: `${r.h2Latency.p50Ms.toFixed(2)} / ${r.h2Latency.p99Ms.toFixed(2)}` } : undefined,
    },
  ];
}

function detailRows(results: Partial<Record<ServerName, ServerResults>>): string[][] {
  const rows: string[][] = [];
  const add = (name: string, phase: string, runs: readonly Measured<ThroughputResult>[]) => {
    if (runs.length === 0) return;
    rows.push([
      `${name} ${phase}`,
      runs.map((m) => count(m.result.recordsPerSecond)).join(' / '),
      runs.map((m) => count(m.result.records)).join(' / '),
      runs.map((m) => m.result.seconds.toFixed(1)).join(' / '),
      runs.map((m) => m.serverCores.toFixed(2)).join(' / '),
      runs.map((m) => m.clientCores.toFixed(2)).join(' / '),
      runs.map((m) => m.otherCores.toFixed(2)).join(' / '),
      runs.map((m) => count(m.peakRssAfterBytes / 2 ** 20)).join(' / '),
    ]);
  };
  for (const [name, r] of Object.entries(results)) {
    add(name, 'PutRecords (HTTP/1.1)', r.put);
    add(name, 'drain', r.drain);
    add(name, 'PutRecords (raw client)', r.rawPut);
    add(name, 'drain (raw client)', r.rawDrain);
    add(name, 'PutRecords (stock HTTP/2)', r.h2Put);
  }
  return rows;
}

function report(results: Partial<Record<ServerName, ServerResults>>, sizes: Sizes, concurrency: number, command: string, dataDirFs: string, code: string, js?: JetStreamNotes): string {
  const leveldbRows = buildRows(results.rivulet, results.kinesalite, concurrency);
  const jsResults = results['rivulet-jetstream'];
  const rows = jsResults ? withJetstream(leveldbRows, buildRows(jsResults, results.kinesalite, concurrency)) : leveldbRows;
  const table = markdownTable(rows);
  const details = detailTable(['Phase', 'records/s per run', 'records per run', 'seconds per run', 'server CPU cores', 'client CPU cores', 'other processes, cores', 'server VmHWM after, MiB'], detailRows(results));
  const seen = Object.entries(results)
    .map(([name, res]) => `${name} ${res.putToGet.count}/${res.putToGet.sent} at ${res.putToGet.pollsPerSecondPerShard.toFixed(0)} polls/s per shard`)
    .join(', ');
  return [
    `Command: \`${command}\``,
    '',
    `Server code: ${code}; run at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    machineDescription(dataDirFs),
    '',
    `Medians of ${sizes.repeats} runs for throughput. "rivulet advantage" is rivulet ÷ kinesalite for throughput and kinesalite ÷ rivulet for latency and memory, so above 1× favours rivulet.`,
    ...(js ? ['', '"replication cost" is rivulet on JetStream ÷ rivulet on LevelDB, as measured: below 1× on a throughput row and above 1× on a latency or memory row is what 3-way replication costs.'] : []),
    '',
    table,
    '',
    'Every run, with the CPU each side kept busy (cores = CPU seconds ÷ wall seconds; the client is this bench process; "other processes" is the rest of the machine, from /proc/stat):',
    '',
    details,
    '',
    'Method:',
    `- ${js ? 'All three' : 'Both'} servers run as child processes on loopback; this process is the only client, so server and client share the ${machineDescription(dataDirFs).match(/nproc (\d+)/)?.[1] ?? '?'} CPUs. Servers run one after the other, never at once.`,
    '- rivulet-ingest: `--config {"streams":{"limits":{"enabled":false}}}`, LevelDB data dir in a temp dir, writes durable (fsync per group commit, the default), auth `auto` (none on loopback).',
    '- kinesalite 3.3.3: `createStreamMs/deleteStreamMs/updateStreamMs 0`, `shardLimit 100`, default in-memory store (memdown): it never touches disk, rivulet fsyncs.',
    `- Client: @aws-sdk/client-kinesis with NodeHttpHandler over HTTP/1.1 keep-alive (\`maxSockets: 16\`), \`maxAttempts: 1\`, dummy credentials, us-east-1. The extra rows use the stock client (default HTTP/2 handler, default retries).`,
    `- Stream of ${SHARDS} shards. PutRecords: batches of ${BATCH_RECORDS} random 1 KiB records with random partition keys, ${concurrency} requests in flight, each run up to ${count(sizes.putTargetRecords)} records or ${sizes.putMaxMs / 1000} s, after a ${sizes.warmupMs / 1000} s warm-up. MiB/s counts record data only.`,
    `- PutRecord latency: ${count(sizes.latencyCalls)} sequential calls (after ${sizes.latencyWarmupCalls} unmeasured). Drain: every shard read in parallel from TRIM_HORIZON with Limit 10000 until an empty response.`,
    `- put→get: one consumer per shard polls GetRecords (LATEST), pausing ${EMPTY_POLL_PAUSE_MS} ms after an empty poll; a producer puts timestamped 1 KiB records open-loop at ${sizes.putToGetRatePerSecond}/s for ${sizes.putToGetDurationMs / 1000} s; latency = seen by the consumer − just before PutRecord. Seen: ${seen}.`,
    '- Server capacity rows: the same workloads from a raw HTTP/1.1 client (bench/streams-raw.ts) that sends pre-serialized bodies and scans responses instead of parsing them, so nearly all CPU goes to the server.',
    '- Peak RSS is VmHWM from /proc/<pid>/status at the end of the server\'s phase.',
    ...(js ? jetstreamMethodLines(js) : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      write: { type: 'string' },
      concurrency: { type: 'string', default: '8' },
      only: { type: 'string' },
      profile: { type: 'string' },
      store: { type: 'string', default: 'leveldb' },
    },
  });
  if (values.store !== 'leveldb' && values.store !== 'jetstream') throw new Error('--store must be leveldb or jetstream');
  const sizes = values.quick ? QUICK : FULL;
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer, got ${values.concurrency}`);
  if (values.only !== undefined && !['rivulet', 'kinesalite', 'rivulet-jetstream'].includes(values.only)) throw new Error('--only must be rivulet, kinesalite or rivulet-jetstream');
  const names: ServerName[] = values.only ? [values.only as ServerName] : values.store === 'jetstream' ? ['rivulet', 'rivulet-jetstream', 'kinesalite'] : ['rivulet', 'kinesalite'];
  if (values.profile) mkdirSync(values.profile, { recursive: true });

  // Read before the run: the tree may change under a long run.
  const code = codeVersion();
  const results: Partial<Record<ServerName, ServerResults>> = {};
  let js: JetStreamNotes | undefined;
  for (const name of names) {
    log(`starting ${name}`);
    if (name === 'rivulet-jetstream') {
      const cluster = await startJetStreamRivulet();
      try {
        results[name] = await measure({ ...cluster.server, name }, sizes, concurrency);
        js = { natsVersion: cluster.natsVersion, natsPeakRssMiB: cluster.natsPeakRssBytes().map((b) => b / 2 ** 20) };
      } finally {
        await cluster.stop();
      }
      continue;
    }
    const server = name === 'rivulet' ? await startRivulet({ cpuProfileDir: values.profile }) : await startKinesalite();
    try {
      results[name] = await measure(server, sizes, concurrency);
    } finally {
      await server.stop();
    }
  }

  const command = ['npm run bench:streams', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const text = report(results, sizes, concurrency, command, filesystemOf(tmpdir()), code, js);
  process.stdout.write(`${text}\n`);
  if (values.write) {
    writeBenchmarksDoc(values.write, text, values.store === 'jetstream' ? 'streams-jetstream' : 'streams');
    log(`wrote ${values.write}`);
  }
  const phases = results.rivulet?.phases;
  if (values.profile && phases) {
    // The busiest profile is the main thread; the other one is tsx's module-loader thread.
    const file = profileFiles(values.profile)[0];
    if (!file) throw new Error(`no .cpuprofile written to ${values.profile}`);
    process.stdout.write(`\nrivulet CPU profile, whole run:\n${formatProfileSummary(summarizeProfile(file, 15))}\n`);
    for (const [phase, windows] of phases) {
      process.stdout.write(`\nrivulet CPU profile, ${phase} runs only:\n${formatProfileSummary(summarizeProfile(file, 15, windows))}\n`);
    }
  }
}

const cleanup = (): void => {
  cleanupAll();
  cleanupJetStream();
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:streams failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    cleanup();
    process.exit(1);
  },
);
