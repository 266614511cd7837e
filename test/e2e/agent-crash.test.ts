import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../harness/agent.js';
import { http1Kinesis } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { freePort, startMosquitto, type MosquittoBroker } from '../harness/mosquitto.js';

const PUBLISHERS = 5;
const RATE_PER_PUBLISHER = 50;
/** Rounds of one kill from outside and one at the failpoint. */
const KILLS = 3;

let server: IngestProcess | null = null;
let agent: AgentProcess | null = null;
let mosquitto: MosquittoBroker | null = null;
afterEach(async () => {
  await agent?.stop();
  await mosquitto?.stop();
  await server?.stop();
  server?.cleanup();
  agent = mosquitto = server = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Embedded: sensors publish to the agent's own broker, which dies with it; their persistent
// sessions resend what was not PUBACKed. External: a Mosquitto broker holds the agent's
// persistent session and redelivers what the agent did not PUBACK.
describe.each(['embedded', 'mosquitto'] as const)('agent killed with SIGKILL mid-stream (%s broker)', (brokerKind) => {
  it(`loses no PUBACKed message and stores none twice across ${KILLS * 2} kills`, async () => {
    server = await startIngest({});
    const kinesis = http1Kinesis(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 2 }));
    kinesis.destroy();

    mosquitto = brokerKind === 'mosquitto' ? await startMosquitto() : null;
    const brokerPort = mosquitto?.port ?? (await freePort());
    const broker = mosquitto ? `{ url: "${mosquitto.url}" }` : `{ embedded: { host: 127.0.0.1, port: ${brokerPort} } }`;
    const dir = tempDir('rivulet-agent-crash-');
    const config = [
      'device: { id: gw-crash }',
      `server: { endpoint: "${server.endpoint}" }`,
      'upload: { backoffBaseMs: 100, backoffCapMs: 1000 }',
      'sources:',
      `  - type: mqtt`,
      `    name: sensors`,
      `    broker: ${broker}`,
      `    subscriptions: [{ topic: "sensors/+device/data", qos: 1, stream: telemetry, partitionKey: { topicSegment: device }, payload: json }]`,
    ];
    agent = await startAgent(config, { dir });
    const statusOf = () => agent!.status<{ buffer: { records: number }; sources: { sensors: { duplicates: number; ready: boolean } } }>();
    // Messages published before the agent's first subscription reaches Mosquitto go nowhere.
    while (!(await statusOf()).sources.sensors.ready) await sleep(50);

    const publishers = await Promise.all(
      Array.from({ length: PUBLISHERS }, (_, p) => mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: `crash-sensor-${p}`, clean: false, reconnectPeriod: 100 })),
    );
    // Each sensor publishes its next message once the previous one is acknowledged. mqtt.js
    // refuses a publish that was queued but not yet sent when the connection dropped ("Connection
    // closed"): the sensor, knowing it was not delivered, sends the same message again.
    const acked = new Array<number>(PUBLISHERS).fill(0);
    let retried = 0;
    let publishing = true;
    const loops = publishers.map(async (client, p) => {
      for (let n = 0; publishing; n++) {
        for (;;) {
          try {
            await client.publishAsync(`sensors/dev-${p}/data`, JSON.stringify({ p, n }), { qos: 1 });
            break;
          } catch {
            retried++;
            await sleep(50);
          }
        }
        acked[p] = n + 1;
        await sleep(1000 / RATE_PER_PUBLISHER);
      }
    });

    // Kills from outside land wherever they land; the failpoint kills the agent in the one place
    // a duplicate can come from: a message durably buffered whose PUBACK was never sent.
    const ackedAtKill: number[] = [];
    let duplicates = 0;
    for (let round = 0; round < KILLS; round++) {
      await sleep(1500 + Math.random() * 1000);
      duplicates += (await statusOf()).sources.sensors.duplicates;
      ackedAtKill.push(acked.reduce((a, b) => a + b, 0));
      await agent.kill();
      await sleep(200 + Math.random() * 500);
      agent = await startAgent(config, { dir, env: { RIVULET_FAILPOINTS: `after-append=kill@${20 + Math.floor(Math.random() * 100)}` } });
      expect(await agent.exited).toBe('SIGKILL');
      ackedAtKill.push(acked.reduce((a, b) => a + b, 0));
      agent = await startAgent(config, { dir });
    }
    await sleep(2000);
    publishing = false;
    await Promise.all(loops);
    await Promise.all(publishers.map((c) => c.endAsync()));

    for (let i = 0; i < 120; i++) {
      if ((await statusOf()).buffer.records === 0) break;
      await sleep(500);
    }
    duplicates += (await statusOf()).sources.sensors.duplicates;
    const reader = http1Kinesis(server.endpoint);
    const records = await readFollowingLineage(reader, 'telemetry');
    reader.destroy();

    // Every kill came while messages were flowing and being acknowledged, and each failpoint
    // kill left a buffered message unacknowledged, which its sensor sent again.
    expect(duplicates).toBeGreaterThanOrEqual(KILLS);
    expect(ackedAtKill.every((count, i) => i === 0 || count > ackedAtKill[i - 1]!)).toBe(true);
    for (let p = 0; p < PUBLISHERS; p++) {
      const seen = records.filter((r) => r.partitionKey === `dev-${p}`).map((r) => (JSON.parse(r.data) as { n: number }).n);
      // Each acknowledged message exactly once, and in publish order.
      expect(seen).toEqual(Array.from({ length: acked[p]! }, (_, n) => n));
    }
    expect(records).toHaveLength(acked.reduce((a, b) => a + b, 0));
    console.log(`agent-crash (${brokerKind}): ${records.length} messages, ${retried} publishes refused by mqtt.js and sent again, ${duplicates} retransmissions not stored again, acked at each kill ${ackedAtKill.join(', ')}`);
  }, 180_000);
});
