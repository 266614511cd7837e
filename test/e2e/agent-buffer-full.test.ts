import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../harness/agent.js';
import { http1Kinesis } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { freePort } from '../harness/mosquitto.js';

const MESSAGES = 2000;
/** About 1.07 KiB in the buffer: a 1 MiB buffer holds about 980 of them. */
const PAD = 'x'.repeat(1000);

let server: IngestProcess | null = null;
let agent: AgentProcess | null = null;
afterEach(async () => {
  await agent?.stop();
  await server?.stop();
  server?.cleanup();
  agent = server = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status {
  buffer: { records: number; bytes: number; maxBytes: number; dropped: Record<string, number> };
}

// The server is down while a sensor publishes twice what the 1 MiB buffer holds; then it comes
// back. Each whenFull policy decides what reaches it, and the drops reach it as a report.
describe.each(['drop_newest', 'drop_oldest', 'block'] as const)('agent with a full buffer (%s)', (whenFull) => {
  it('keeps what the policy says, and reports what it dropped', async () => {
    // Streams exist before the agent can reach the server: the data dir is prepared, then the
    // server is stopped and later restarted on the same port.
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    const port = server.port;
    const kinesis = http1Kinesis(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 1 }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'agent-events', ShardCount: 1 }));
    kinesis.destroy();
    await server.stop();

    const brokerPort = await freePort();
    agent = await startAgent(
      [
        'device: { id: gw-full }',
        `server: { endpoint: "http://127.0.0.1:${port}" }`,
        'upload: { backoffBaseMs: 100, backoffCapMs: 500 }',
        'sources:',
        `  - { type: mqtt, name: sensors, broker: { embedded: { host: 127.0.0.1, port: ${brokerPort} } },`,
        `      subscriptions: [{ topic: "sensors/+device/data", qos: 1, stream: telemetry, partitionKey: { topicSegment: device }, payload: json }] }`,
      ],
      { buffer: `maxBytes: 1MiB, streams: { telemetry: { priority: 5, whenFull: ${whenFull} } }, dropReport: { stream: agent-events, intervalMs: 1000 }` },
    );

    const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'full-sensor' });
    let acked = 0;
    const published = Array.from({ length: MESSAGES }, (_, n) => sensor.publishAsync('sensors/dev-1/data', JSON.stringify({ n, pad: PAD }), { qos: 1 }).then(() => acked++));
    // Wait until the sensor's acknowledgements stop coming.
    for (let last = -1; acked !== last && acked < MESSAGES; ) {
      last = acked;
      await sleep(1500);
    }
    const full = await agent.status<Status>();
    expect(full.buffer.bytes).toBeLessThanOrEqual(full.buffer.maxBytes);
    expect(full.buffer.bytes).toBeGreaterThan(full.buffer.maxBytes * 0.9);
    if (whenFull === 'block') {
      // Nothing is dropped: the sensor waits for its PUBACKs instead.
      expect(acked).toBeLessThan(MESSAGES);
      expect(acked).toBeGreaterThan(MESSAGES * 0.4);
      expect(full.buffer.dropped.telemetry ?? 0).toBe(0);
    } else {
      expect(acked).toBe(MESSAGES);
      // (buffer.records also counts a drop report that fitted in the last few hundred bytes)
      expect(full.buffer.dropped.telemetry).toBeGreaterThan(MESSAGES * 0.4);
    }

    server = await startIngest({ dataDir, port });
    await Promise.all(published);
    await sensor.endAsync();
    let status = await agent.status<Status>();
    for (let i = 0; i < 120 && status.buffer.records > 0; i++) {
      await sleep(500);
      status = await agent.status<Status>();
    }
    const reader = http1Kinesis(server.endpoint);
    const seen = (await readFollowingLineage(reader, 'telemetry')).map((r) => (JSON.parse(r.data) as { n: number }).n);
    const dropped = status.buffer.dropped.telemetry ?? 0;
    const kept = MESSAGES - dropped;
    if (whenFull === 'drop_newest') expect(seen).toEqual(Array.from({ length: kept }, (_, i) => i));
    if (whenFull === 'drop_oldest') expect(seen).toEqual(Array.from({ length: kept }, (_, i) => dropped + i));
    if (whenFull === 'block') expect(seen).toEqual(Array.from({ length: MESSAGES }, (_, i) => i));

    // The last report that reached the server carries the totals (earlier ones may themselves
    // have been dropped while the buffer was full).
    let totals: Record<string, number> = {};
    for (let i = 0; i < 20 && (totals.telemetry ?? 0) !== dropped; i++) {
      await sleep(1000);
      const reports = await readFollowingLineage(reader, 'agent-events');
      totals = reports.length > 0 ? (JSON.parse(reports.at(-1)!.data) as { totals: Record<string, number> }).totals : {};
    }
    reader.destroy();
    if (whenFull === 'block') expect(totals.telemetry ?? 0).toBe(0);
    else expect(totals.telemetry).toBe(dropped);
  }, 120_000);
});

describe('agent stopping', () => {
  it('exits 0 on SIGTERM while sensors are connected, the server is down and appends wait for room', async () => {
    const brokerPort = await freePort();
    agent = await startAgent(
      [
        'device: { id: gw-stop }',
        `server: { endpoint: "http://127.0.0.1:${await freePort()}" }`,
        'sources:',
        `  - { type: mqtt, name: sensors, broker: { embedded: { host: 127.0.0.1, port: ${brokerPort} } },`,
        `      subscriptions: [{ topic: "sensors/+device/data", qos: 1, stream: telemetry, partitionKey: { topicSegment: device }, payload: raw }] }`,
      ],
      { buffer: 'maxBytes: 1MiB, streams: { telemetry: { priority: 5, whenFull: block } }' },
    );
    const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'stop-sensor', reconnectPeriod: 0 });
    let acked = 0;
    for (let n = 0; n < 1200; n++) void sensor.publishAsync('sensors/dev-1/data', PAD, { qos: 1 }).then(() => acked++, () => undefined);
    for (let last = -1; acked !== last; ) {
      last = acked;
      await sleep(1000);
    }
    expect(acked).toBeLessThan(1200);
    const started = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    sensor.end(true);
  }, 60_000);
});
