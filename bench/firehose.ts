/**
 * Firehose benchmark: PutRecordBatch ingest into rivulet-ingest (durable, fsync per group
 * commit) and delivery to the embedded object store with GZIP, in one run. Prints a markdown
 * table of medians over the repeats with the targets; `--write FILE` puts it into the doc.
 *   npm run build && npm run bench:firehose -- [--seconds 10] [--repeats 3] [--concurrency 8] [--write docs/benchmarks.md]
 * There is no peer to run beside it (no self-hosted Firehose exists); the ceiling row is the same
 * server's Data Streams PutRecords with the same records, for scale.
 * The load is raw HTTP/1.1 with bodies serialized once, so the client costs almost nothing on
 * this 2-core machine; one SDK row shows what a stock @aws-sdk/client-firehose producer gets.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { writeDocBlock } from './doc-block.js';
import { formatProfileSummary, profileFiles, summarizeProfile } from './streams-profile.js';
import { median } from './streams-stats.js';
import { cleanupAll, startRivulet, type ServerProcess } from './streams-servers.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, repeats: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '8' }, write: { type: 'string' }, profile: { type: 'string' } } });
const SECONDS = Number(values.seconds);
const REPEATS = Number(values.repeats);
const CONCURRENCY = Number(values.concurrency);
const RECORD_BYTES = 1024;
const BATCH = 500;
const MiB = 1024 * 1024;

const HEADERS = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Firehose_20150804.PutRecordBatch' };

type RecordKind = 'telemetry' | 'hex';
let serial = 0;

/**
 * 1 KiB records. telemetry: sensor-gateway JSON (ids, an ISO time, readings with two decimals),
 * which GZIP -1 shrinks to about 31 %. hex: half random hex, the hard case (about 53 %, and
 * deflate runs at less than half the speed on it).
 */
function record(kind: RecordKind): Buffer {
  if (kind === 'hex') {
    const head = `{"device":"cam-${randomBytes(2).toString('hex')}","t":${Date.now()},"blob":"`;
    const tail = '"}\n';
    const fill = RECORD_BYTES - head.length - tail.length;
    return Buffer.from(head + (randomBytes(fill / 2).toString('hex') + 'a'.repeat(fill)).slice(0, fill) + tail);
  }
  const doc = {
    device: `gw-${String(Math.floor(Math.random() * 500)).padStart(4, '0')}`,
    sensor: `temp-${Math.floor(Math.random() * 8)}`,
    ts: new Date(Date.now() + serial).toISOString(),
    seq: serial++,
    temp_c: +(15 + Math.random() * 10).toFixed(2),
    humidity: +(30 + Math.random() * 40).toFixed(1),
    battery_v: +(3.5 + Math.random() * 0.5).toFixed(2),
    rssi: -Math.floor(40 + Math.random() * 50),
    status: Math.random() < 0.98 ? 'ok' : 'degraded',
    site: 'north-yard',
    readings: [] as number[],
  };
  let text = JSON.stringify(doc);
  while (text.length < RECORD_BYTES - 8) {
    doc.readings.push(+(20 + Math.random() * 5).toFixed(2));
    text = JSON.stringify(doc);
  }
  return Buffer.from(`${text.padEnd(RECORD_BYTES - 1)}\n`.slice(-RECORD_BYTES));
}

function bodies(stream: string, kind: RecordKind): Buffer[] {
  return Array.from({ length: 8 }, () => Buffer.from(JSON.stringify({ DeliveryStreamName: stream, Records: Array.from({ length: BATCH }, () => ({ Data: record(kind).toString('base64') })) })));
}

function post(agent: http.Agent, endpoint: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(endpoint, { method: 'POST', agent, headers: HEADERS }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts).toString('latin1', 0, 64)) : reject(new Error(`PutRecordBatch ${res.statusCode}: ${Buffer.concat(parts).toString()}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function rawIngest(endpoint: string, payloads: Buffer[]): Promise<{ records: number; seconds: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const start = performance.now();
  let records = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - start < SECONDS * 1000) {
        const out = await post(agent, endpoint, payloads[next++ % payloads.length]!);
        if (!out.includes('"FailedPutCount":0')) throw new Error(`records failed: ${out}`);
        records += BATCH;
      }
    }),
  );
  agent.destroy();
  return { records, seconds: (performance.now() - start) / 1000 };
}

async function sdkIngest(endpoint: string, stream: string): Promise<{ records: number; seconds: number }> {
  const client = new FirehoseClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });
  const batch = Array.from({ length: BATCH }, () => ({ Data: record('telemetry') }));
  const start = performance.now();
  let records = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - start < SECONDS * 1000) {
        await client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: batch }));
        records += BATCH;
      }
    }),
  );
  client.destroy();
  return { records, seconds: (performance.now() - start) / 1000 };
}

/** Uncompressed bytes in the bucket's GZIP objects written up to `untilMs` (wall clock). */
function deliveredBytes(root: string, untilMs = Infinity): number {
  let bytes = 0;
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (n.endsWith('.gz') && st.mtimeMs <= untilMs) bytes += gunzipSync(readFileSync(p)).byteLength;
    }
  };
  try {
    walk(root);
  } catch {
    return 0;
  }
  return bytes;
}

let peakAnonMiB = 0;

/** Anonymous resident memory (heap, buffers, LevelDB's own allocations), without mapped files. */
function rssAnonMiB(pid: number): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface RunResult {
  ingestRecordsPerSecond: number;
  ingestMiBPerSecond: number;
  deliveredMiBPerSecond: number;
  deliveredShare: number;
  drainSeconds: number;
  serverCores: number;
}

async function run(server: ServerProcess, n: number, kind: RecordKind): Promise<RunResult> {
  const stream = `bench-${n}`;
  const endpoint = server.endpoint;
  const client = new FirehoseClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });
  await client.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: stream,
      ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/bench', BucketARN: `arn:aws:s3:::bench-bucket-${n}`, CompressionFormat: 'GZIP', Prefix: 'bench/', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } },
    }),
  );
  client.destroy();
  const root = join(server.dataDir!, 'firehose', 'buckets', `bench-bucket-${n}`);
  const payloads = bodies(stream, kind);
  const cpu0 = server.cpuSeconds();
  const t0 = Date.now();
  const sampler = setInterval(() => (peakAnonMiB = Math.max(peakAnonMiB, rssAnonMiB(server.pid))), 250);
  const ingest = await rawIngest(endpoint, payloads);
  clearInterval(sampler);
  const endMs = Date.now();
  const cpu = server.cpuSeconds() - cpu0;
  const ingestedBytes = ingest.records * RECORD_BYTES;
  await new Promise((r) => setTimeout(r, 300));
  const inWindow = deliveredBytes(root, endMs);
  // Drain: everything but the last open buffer (5 MiB plus a chunk or two, waiting for its interval) arrives.
  const drainStart = performance.now();
  while (deliveredBytes(root) < ingestedBytes - 7 * MiB && performance.now() - drainStart < 120_000) await new Promise((r) => setTimeout(r, 500));
  return {
    ingestRecordsPerSecond: ingest.records / ingest.seconds,
    ingestMiBPerSecond: ingestedBytes / MiB / ingest.seconds,
    deliveredMiBPerSecond: inWindow / MiB / ((endMs - t0) / 1000),
    deliveredShare: inWindow / ingestedBytes,
    drainSeconds: (performance.now() - drainStart) / 1000,
    serverCores: cpu / ingest.seconds,
  };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

try {
  // The installed server: compiled JavaScript (run `npm run build` first, as `npm install` does).
  const server = await startRivulet({ compiled: true, cpuProfileDir: values.profile, config: { firehose: { deliveryStreamLimit: 100 } } });
  const runs: RunResult[] = [];
  for (let i = 0; i < REPEATS; i++) {
    runs.push(await run(server, i, 'telemetry'));
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(runs[i])}\n`);
  }
  const hex = await run(server, REPEATS, 'hex');
  process.stderr.write(`hex run: ${JSON.stringify(hex)}\n`);
  const sdkStream = 'bench-sdk';
  const c = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });
  await c.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: sdkStream, ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/bench', BucketARN: 'arn:aws:s3:::bench-sdk', CompressionFormat: 'GZIP', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } } }));
  c.destroy();
  const sdk = await sdkIngest(server.endpoint, sdkStream);
  const peakRssMiB = server.peakRssBytes() / MiB;
  await server.stop();
  if (values.profile) for (const f of profileFiles(values.profile)) process.stderr.write(`${formatProfileSummary(summarizeProfile(f, 25))}\n`);
  const m = (f: (r: RunResult) => number) => median(runs.map(f));
  const rate = m((r) => r.ingestRecordsPerSecond);
  const table = [
    `Command: \`npm run bench:firehose -- --seconds ${SECONDS} --repeats ${REPEATS} --concurrency ${CONCURRENCY}\`; ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; run at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Medians of ${REPEATS} runs of ${SECONDS} s; 1 KiB sensor-telemetry JSON records (GZIP -1 to about 31 %), 500 per PutRecordBatch, ${CONCURRENCY} connections; delivery to the embedded object store with GZIP, buffering 5 MiB / 60 s; durable (fsync per group commit).`,
    '',
    '| Measure | rivulet-ingest | Target |',
    '|---|---|---|',
    `| PutRecordBatch ingest, records/s (raw HTTP client) | ${fmt(rate)} | ≥ 50,000 ${rate >= 50_000 ? '✅' : '❌'} |`,
    `| PutRecordBatch ingest, MiB/s | ${fmt(m((r) => r.ingestMiBPerSecond), 1)} | |`,
    `| Delivered to the bucket during the run (GZIP, uncompressed MiB/s) | ${fmt(m((r) => r.deliveredMiBPerSecond), 1)} | |`,
    `| Share of the run's records delivered by its end | ${fmt(m((r) => r.deliveredShare) * 100, 1)} % | keeps up ${m((r) => r.deliveredShare) >= 0.9 ? '✅' : '❌'} |`,
    `| Time after the run until all but the last open buffer is delivered, s | ${fmt(m((r) => r.drainSeconds), 1)} | |`,
    `| Server CPU during ingest, cores | ${fmt(m((r) => r.serverCores), 2)} | |`,
    `| Server peak RSS (VmHWM), MiB | ${fmt(peakRssMiB)} | ≤ 256 ${peakRssMiB <= 256 ? '✅' : '❌'} |`,
    `| of which anonymous memory at its peak (RssAnon, sampled every 250 ms; the rest is file-backed: the node binary and LevelDB's memory-mapped table files), MiB | ${fmt(peakAnonMiB)} | |`,
    `| PutRecordBatch ingest, records/s (stock @aws-sdk/client-firehose, same machine) | ${fmt(sdk.records / sdk.seconds)} | |`,
    `| Hard-to-compress records (half random hex, GZIP to 53 %): ingest records/s / delivered MiB/s / share delivered by the end (one run) | ${fmt(hex.ingestRecordsPerSecond)} / ${fmt(hex.deliveredMiBPerSecond, 1)} / ${fmt(hex.deliveredShare * 100, 1)} % | |`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (values.write) writeDocBlock(values.write, 'firehose', 'Firehose: PutRecordBatch in, GZIP objects out', table);
} finally {
  cleanupAll();
}
process.exit(0);
