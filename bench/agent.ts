/**
 * Agent benchmark: MQTT sensors publish through rivulet-agent (embedded broker, durable buffer)
 * to a real rivulet-ingest, measured end to end, beside Mosquitto alone (publisher to
 * subscriber) as the ceiling. Prints a markdown table; `--write FILE` updates the benchmarks doc.
 *   npm run bench:agent -- [--seconds 10] [--publishers 20] [--write docs/benchmarks.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { writeDocBlock } from './doc-block.js';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import mqtt, { type MqttClient } from 'mqtt';
import { startAgent } from '../test/harness/agent.js';
import { http1Kinesis } from '../test/harness/clients.js';
import { startIngest, tempDir } from '../test/harness/ingest.js';
import { freePort, startMosquitto } from '../test/harness/mosquitto.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, publishers: { type: 'string', default: '20' }, inflight: { type: 'string', default: '50' }, write: { type: 'string' } } });
const SECONDS = Number(values.seconds);
const PUBLISHERS = Number(values.publishers);
const INFLIGHT = Number(values.inflight);
const PAYLOAD = JSON.stringify({ temperatureC: 21.5, humidity: 40.2, pad: 'x'.repeat(100) });

function procStat(pid: number): { cpuSeconds: number; peakRssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / 100, peakRssBytes: Number(hwm ?? 0) * 1024 };
}

/** Publishes QoS 1 from N clients for SECONDS, each keeping INFLIGHT messages unacknowledged. */
async function publish(url: string): Promise<{ acked: number; seconds: number }> {
  const clients: MqttClient[] = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => mqtt.connectAsync(url, { clientId: `bench-sensor-${i}` })));
  const start = performance.now();
  let acked = 0;
  await Promise.all(
    clients.map(async (client, i) => {
      const inflight = new Set<Promise<unknown>>();
      for (let n = 0; performance.now() - start < SECONDS * 1000; n++) {
        const p = client.publishAsync(`sensors/dev-${i}/env`, PAYLOAD, { qos: 1 }).then(() => {
          acked++;
          inflight.delete(p);
        });
        inflight.add(p);
        if (inflight.size >= INFLIGHT) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  return { acked, seconds };
}

async function mosquittoCeiling(): Promise<number> {
  const broker = await startMosquitto();
  try {
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-sub' });
    let received = 0;
    sub.on('message', () => received++);
    await sub.subscribeAsync('sensors/#', { qos: 1 });
    const { seconds } = await publish(broker.url);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const before = received;
      await new Promise((r) => setTimeout(r, 200));
      if (received === before) break;
    }
    await sub.endAsync();
    return received / seconds;
  } finally {
    await broker.stop();
  }
}

async function agentRun() {
  const dataDir = tempDir('rivulet-bench-ingest-');
  const config = join(dataDir, 'limits.json');
  writeFileSync(config, '{"streams":{"limits":{"enabled":false}}}');
  const server = await startIngest({ dataDir, args: ['--config', config] });
  const kinesis = http1Kinesis(server.endpoint);
  await kinesis.send(new CreateStreamCommand({ StreamName: 'bench-telemetry', ShardCount: 4 }));
  kinesis.destroy();
  const brokerPort = await freePort();
  // The compiled agent, as a device runs it (npm install builds it); no TypeScript loader in RSS.
  const agentProcess = await startAgent(
    [
      'device: { id: bench-gw }',
      `server: { endpoint: "${server.endpoint}" }`,
      'sources:',
      `  - { type: mqtt, name: sensors, broker: { embedded: { host: 127.0.0.1, port: ${brokerPort} } }, subscriptions: [{ topic: "sensors/+device/env", qos: 1, stream: bench-telemetry, partitionKey: { topicSegment: device }, payload: json }] }`,
    ],
    { compiled: true, env: { NODE_OPTIONS: process.env.AGENT_NODE_OPTIONS ?? '' } },
  );
  const agent = agentProcess.child;
  try {
    const status = () => agentProcess.status<{ buffer: { records: number; batchesWritten: number }; upload: { records: number } }>();
    const before = await status();
    const cpuBefore = procStat(agent.pid!).cpuSeconds;
    const start = performance.now();
    const { acked, seconds: publishSeconds } = await publish(`mqtt://127.0.0.1:${brokerPort}`);
    let s = await status();
    const drainFrom = { atMs: performance.now(), records: s.upload.records };
    while (s.upload.records - before.upload.records < acked) {
      await new Promise((r) => setTimeout(r, 100));
      s = await status();
    }
    const endToEndSeconds = (performance.now() - start) / 1000;
    const drainSeconds = (performance.now() - drainFrom.atMs) / 1000;
    const proc = procStat(agent.pid!);
    return {
      acked,
      acceptedPerSecond: acked / publishSeconds,
      endToEndPerSecond: acked / endToEndSeconds,
      drainPerSecond: drainSeconds > 0.5 ? (s.upload.records - drainFrom.records) / drainSeconds : null,
      bufferBatchesPerSecond: (s.buffer.batchesWritten - before.buffer.batchesWritten) / endToEndSeconds,
      agentCores: (proc.cpuSeconds - cpuBefore) / endToEndSeconds,
      agentPeakRssMiB: proc.peakRssBytes / 2 ** 20,
    };
  } finally {
    await agentProcess.stop();
    await server.stop();
    server.cleanup();
  }
}

const agentResult = await agentRun();
const ceiling = await mosquittoCeiling();
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const table = [
  `Command: \`npm run bench:agent -- --seconds ${SECONDS} --publishers ${PUBLISHERS}\`; ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}; run at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  '',
  `${PUBLISHERS} MQTT publishers, QoS 1, ${INFLIGHT} unacknowledged messages each, ${PAYLOAD.length}-byte JSON payloads, for ${SECONDS} s. The agent runs its embedded broker and a durable buffer (fsync per group commit), and uploads to rivulet-ingest on the same machine (limits off, 4 shards).`,
  '',
  '| Metric | Value | Target |',
  '|---|--:|---|',
  `| End to end (PUBACKed and stored by rivulet-ingest), msg/s | ${fmt(agentResult.endToEndPerSecond)} | ≥ 20,000 ${agentResult.endToEndPerSecond >= 20_000 ? '✅' : '❌'} |`,
  `| Accepted by the agent (PUBACKs), msg/s | ${fmt(agentResult.acceptedPerSecond)} | |`,
  `| Upload alone (backlog drained once publishing stopped), msg/s | ${agentResult.drainPerSecond === null ? 'n/a (no backlog)' : fmt(agentResult.drainPerSecond)} | |`,
  `| Buffer writes (LevelDB batches), per second | ${fmt(agentResult.bufferBatchesPerSecond)} | |`,
  `| Agent peak RSS (VmHWM), MiB | ${fmt(agentResult.agentPeakRssMiB)} | ≤ 100 ${agentResult.agentPeakRssMiB <= 100 ? '✅' : '❌'} |`,
  `| Agent CPU, cores | ${fmt(agentResult.agentCores, 2)} | |`,
  `| Ceiling: Mosquitto alone, publisher to subscriber, msg/s | ${fmt(ceiling)} | |`,
].join('\n');
process.stdout.write(`${table}\n`);
if (values.write) writeDocBlock(values.write, 'agent', 'Agent: MQTT through rivulet-agent to rivulet-ingest', table);
process.exit(0);
