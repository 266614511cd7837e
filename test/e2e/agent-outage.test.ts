import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { http1Kinesis } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const PUBLISHERS = 5;
const RATE_PER_PUBLISHER = 50;
const OUTAGE_MS = Number(process.env.RIVULET_OUTAGE_MS ?? 30_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startAgent(config: string): Promise<{ child: ChildProcess; statusPort: number; output: () => string }> {
  const child = spawn(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'agent/src/main.ts'), 'run', '--config', config], {
    cwd: REPO_ROOT,
    env: { ...process.env, RIVULET_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const statusPort = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`agent did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      const m = /status on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, statusPort, output: () => out };
}

let server: IngestProcess | null = null;
let agent: ChildProcess | null = null;
afterAll(async () => {
  agent?.kill('SIGKILL');
  await server?.stop();
  server?.cleanup();
});

describe('agent through an ingest outage', () => {
  it(`delivers every message exactly once and in order per key after the server is down ${OUTAGE_MS / 1000} s`, async () => {
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    const ingestPort = server.port;
    const kinesis = http1Kinesis(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 2 }));
    kinesis.destroy();

    const brokerPort = await freePort();
    const dir = tempDir('rivulet-agent-');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        'device: { id: gw-outage }',
        `server: { endpoint: "http://127.0.0.1:${ingestPort}" }`,
        `buffer: { path: "${join(dir, 'buffer')}" }`,
        'upload: { backoffBaseMs: 100, backoffCapMs: 2000 }',
        'status: { port: 0 }',
        'sources:',
        `  - type: mqtt`,
        `    name: sensors`,
        `    broker: { embedded: { host: 127.0.0.1, port: ${brokerPort} } }`,
        `    subscriptions: [{ topic: "sensors/+device/data", qos: 1, stream: telemetry, partitionKey: { topicSegment: device }, payload: json }]`,
      ].join('\n'),
    );
    const started = await startAgent(config);
    agent = started.child;

    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, p) => mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: `sensor-${p}` })));
    const acked = new Array<number>(PUBLISHERS).fill(0);
    const totalMs = OUTAGE_MS + 10_000;
    const start = Date.now();
    // Sensors publish at their rate without waiting for each PUBACK (MQTT keeps them in order).
    const publishing = publishers.map(async (client, p) => {
      const pending: Promise<unknown>[] = [];
      for (let n = 0; Date.now() - start < totalMs; n++) {
        const due = start + (n * 1000) / RATE_PER_PUBLISHER;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        pending.push(client.publishAsync(`sensors/dev-${p}/data`, JSON.stringify({ p, n }), { qos: 1 }).then(() => (acked[p] = Math.max(acked[p]!, n + 1))));
      }
      await Promise.all(pending);
    });
    // Take the server down 3 s in, for the outage, then bring it back on the same port and data.
    await new Promise((r) => setTimeout(r, 3_000));
    await server.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    server = await startIngest({ dataDir, port: ingestPort });
    await Promise.all(publishing);
    await Promise.all(publishers.map((c) => c.endAsync()));

    // Wait for the agent's buffer to drain.
    for (let i = 0; i < 120; i++) {
      const status = (await (await fetch(`http://127.0.0.1:${started.statusPort}/status.json`)).json()) as { buffer: { records: number } };
      if (status.buffer.records === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const reader = http1Kinesis(server.endpoint);
    const records = await readFollowingLineage(reader, 'telemetry');
    reader.destroy();
    const total = acked.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(PUBLISHERS * RATE_PER_PUBLISHER * (totalMs / 1000) * 0.8);
    expect(records).toHaveLength(total);
    for (let p = 0; p < PUBLISHERS; p++) {
      const seen = records.filter((r) => r.partitionKey === `dev-${p}`).map((r) => (JSON.parse(r.data) as { n: number }).n);
      expect(seen).toEqual(Array.from({ length: acked[p]! }, (_, n) => n));
    }
  }, 180_000);
});
