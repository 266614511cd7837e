/**
 * npm run demo: the main job on embedded defaults. Starts rivulet-ingest (LevelDB in ./data/demo,
 * loopback, no auth), creates a 2-shard stream, and runs a small producer (simulated sensor
 * readings through PutRecords) and a consumer that follows every shard with GetRecords, both
 * with the stock AWS SDK v3 client. Prints a line a second and a summary.
 *
 *   npm run demo                    # 20 seconds
 *   npm run demo -- --seconds 0     # until Ctrl-C
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 20;
const dataDir = join(root, 'data', 'demo');
const STREAM = 'demo-sensors';

const server = spawn(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(root, 'ingest-server/src/main.ts'), '--port', '0', '--data-dir', dataDir], {
  cwd: root,
  env: { ...process.env, RIVULET_LOG_LEVEL: process.env.RIVULET_LOG_LEVEL ?? 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const endpoint = await new Promise<string>((res, rej) => {
  let out = '';
  const onData = (c: Buffer) => {
    out += c.toString();
    const line = /^(rivulet-ingest listening on (https?:\/\/\S+).*)$/m.exec(out);
    if (line) {
      server.stdout.off('data', onData);
      console.log(line[1]);
      res(line[2]!);
    }
  };
  server.stdout.on('data', onData);
  server.once('exit', (code) => rej(new Error(`rivulet-ingest exited with ${code}`)));
});
server.stdout.on('data', (c: Buffer) => process.stdout.write(c));

// The stock client: only endpoint, region and credentials (auth is off on loopback).
const kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } });
try {
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  console.log(`created stream ${STREAM} with 2 shards`);
} catch (err) {
  if ((err as Error).name !== 'ResourceInUseException') throw err;
  console.log(`stream ${STREAM} already exists in ${dataDir}; appending to it`);
}

let running = true;
let produced = 0;
let consumed = 0;
let lastLatencyMs = 0;

async function produce(): Promise<void> {
  let n = 0;
  while (running) {
    const now = Date.now();
    const Records = Array.from({ length: 50 }, (_, i) => {
      const device = `sensor-${(n + i) % 8}`;
      const reading = { device, temperatureC: 20 + Math.sin((n + i) / 10) * 5, at: now };
      return { PartitionKey: device, Data: new TextEncoder().encode(JSON.stringify(reading)) };
    });
    const res = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records }));
    produced += Records.length - (res.FailedRecordCount ?? 0);
    n += Records.length;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function consume(shardId: string): Promise<void> {
  let { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: 'LATEST' }));
  while (running && ShardIterator) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    for (const record of page.Records ?? []) {
      const reading = JSON.parse(new TextDecoder().decode(record.Data)) as { at: number };
      lastLatencyMs = Date.now() - reading.at;
      consumed++;
    }
    ShardIterator = page.NextShardIterator;
    await new Promise((r) => setTimeout(r, 200)); // Kinesis: at most 5 GetRecords/s per shard
  }
}

const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM, ShardFilter: { Type: 'AT_LATEST' } }));
const work = [produce(), ...Shards.map((s) => consume(s.ShardId!))];
const ticker = setInterval(() => console.log(`produced ${produced}  consumed ${consumed}  put->get ${lastLatencyMs} ms`), 1000);
const stop = async () => {
  if (!running) return;
  running = false;
  clearInterval(ticker);
  await Promise.allSettled(work);
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
  console.log(`done: produced ${produced}, consumed ${consumed}; stream ${summary.StreamDescriptionSummary?.StreamARN} keeps its data in ${dataDir}`);
  kinesis.destroy();
  server.kill('SIGTERM');
};
process.on('SIGINT', () => void stop());
if (seconds > 0) setTimeout(() => void stop(), seconds * 1000);
