/**
 * GET /metrics on a real rivulet-agent's status port: MQTT messages published to its embedded
 * broker are counted per source (records and errors), uploaded to a real rivulet-ingest and
 * counted per uploader; while the server is down the failures, the buffer and the age of the
 * oldest unsent record show. The text must pass promtool and python's prometheus_client.
 */
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES as N } from '@rivulet/shared';
import { eventually } from '../harness/analytics.js';
import { startAgent, type AgentProcess } from '../harness/agent.js';
import { http1Kinesis } from '../harness/clients.js';
import { readFollowingLineage } from '../harness/consumer.js';
import { startIngest, type IngestProcess } from '../harness/ingest.js';
import { freePort } from '../harness/mosquitto.js';
import { promtoolCheck, pythonParse, samples, scrape, valueOf } from '../harness/prometheus.js';

let server: IngestProcess | null = null;
let agent: AgentProcess | null = null;
afterAll(async () => {
  await agent?.stop();
  await server?.stop();
  server?.cleanup();
});

describe('rivulet-agent GET /metrics', () => {
  it('counts records per source and uploader, upload failures while the server is down, and the unsent backlog', async () => {
    server = await startIngest();
    const kinesis = http1Kinesis(server.endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 1 }));
    const brokerPort = await freePort();
    agent = await startAgent([
      'device: { id: gw-metrics }',
      `server: { endpoint: "${server.endpoint}" }`,
      'upload: { backoffBaseMs: 100, backoffCapMs: 300 }',
      'sources:',
      `  - { type: mqtt, name: sensors, broker: { embedded: { host: 127.0.0.1, port: ${brokerPort} } },`,
      `      subscriptions: [{ topic: "sensors/+device/data", qos: 1, stream: telemetry, partitionKey: { topicSegment: device }, payload: json }] }`,
    ]);
    const url = `http://127.0.0.1:${agent.statusPort}/metrics`;
    const read = async () => samples(await scrape(url));

    const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'metrics-sensor' });
    try {
      for (let n = 0; n < 25; n++) await sensor.publishAsync('sensors/dev-1/data', JSON.stringify({ n }), { qos: 1 });
      // Not JSON: a source error, nothing buffered (no dead-letter stream configured).
      for (let n = 0; n < 2; n++) await sensor.publishAsync('sensors/dev-1/data', 'not json', { qos: 1 });

      const all = await eventually(read, (s) => valueOf(s, N.agentUploadedRecords, { uploader: 'streams' }) === 25 && valueOf(s, N.agentBufferRecords) === 0, 30_000);
      expect(valueOf(all, N.agentSourceRecords, { source: 'sensors' })).toBe(25);
      expect(valueOf(all, N.agentSourceErrors, { source: 'sensors' })).toBe(2);
      expect(valueOf(all, N.agentUploadedRecords, { uploader: 'streams' })).toBe(25);
      expect(valueOf(all, N.agentUploadFailures, { uploader: 'streams' })).toBe(0);
      expect(valueOf(all, N.agentBufferRecords)).toBe(0);
      expect(valueOf(all, N.agentOldestUnsentAge)).toBe(0);
      expect(valueOf(all, 'rivulet_agent_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect((await readFollowingLineage(kinesis, 'telemetry')).length).toBe(25);

      const text = await scrape(url);
      expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });
      const parsed = pythonParse(text);
      expect(parsed.find((s) => s.name === N.agentSourceRecords && s.labels.source === 'sensors')?.value).toBe(25);
      expect(parsed.find((s) => s.name === N.agentBufferRecords)?.type).toBe('gauge');

      // The server goes away: the next records wait in the buffer and each upload attempt fails.
      await server.stop();
      for (let n = 0; n < 5; n++) await sensor.publishAsync('sensors/dev-2/data', JSON.stringify({ n }), { qos: 1 });
      const down = await eventually(read, (s) => (valueOf(s, N.agentUploadFailures, { uploader: 'streams' }) ?? 0) >= 2 && valueOf(s, N.agentBufferRecords) === 5, 30_000);
      expect(valueOf(down, N.agentBufferRecords)).toBe(5);
      expect(valueOf(down, N.agentBufferBytes)).toBeGreaterThan(0);
      expect(valueOf(down, N.agentSourceRecords, { source: 'sensors' })).toBe(30);
      expect(valueOf(down, N.agentUploadedRecords, { uploader: 'streams' })).toBe(25);
      expect(valueOf(down, N.agentUploadFailures, { uploader: 'streams' })).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 1100));
      expect(valueOf(await read(), N.agentOldestUnsentAge)).toBeGreaterThanOrEqual(1);
    } finally {
      await sensor.endAsync();
      kinesis.destroy();
    }
  }, 90_000);
});
