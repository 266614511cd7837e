import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../harness/agent.js';
import { http1Kinesis } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { freePort } from '../harness/mosquitto.js';

const PUBLISHERS = 5;
const RATE_PER_PUBLISHER = 50;
const OUTAGE_MS = Number(process.env.RIVULET_OUTAGE_MS ?? 30_000);

let server: IngestProcess | null = null;
let agent: AgentProcess | null = null;
afterAll(async () => {
  await agent?.stop();
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
    agent = await startAgent([
      'device: { id: gw-outage }',
      `server: { endpoint: "http://127.0.0.1:${ingestPort}" }`,
      'upload: { backoffBaseMs: 100, backoffCapMs: 2000 }',
      'sources:',
      `  - type: mqtt`,
      `    name: sensors`,
      `    broker: { embedded: { host: 127.0.0.1, port: ${brokerPort} } }`,
      `    subscriptions: [{ topic: "sensors/+device/data", qos: 1, stream: telemetry, partitionKey: { topicSegment: device }, payload: json }]`,
    ]);

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
      const status = await agent.status<{ buffer: { records: number } }>();
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
