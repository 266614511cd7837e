import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '@rivulet/shared';
import { LevelBuffer } from '../../buffer/level-buffer.js';
import type { MqttSourceConfig } from '../../config/schema.js';
import { MqttSource } from './mqtt-source.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newBuffer(): Promise<LevelBuffer> {
  const buffer = new LevelBuffer({
    location: join(mkdtempSync(join(tmpdir(), 'rivulet-mqtt-')), 'buffer'),
    maxBytes: 16 * 1024 * 1024,
    policies: {},
    defaultPolicy: { priority: 5, whenFull: 'drop_oldest' },
    clock: systemClock,
  });
  await buffer.open();
  return buffer;
}

async function setup(overrides: Partial<MqttSourceConfig> = {}) {
  const buffer = await newBuffer();
  const config: MqttSourceConfig = {
    type: 'mqtt',
    name: 'sensors',
    broker: { embedded: { host: '127.0.0.1', port: 0 } },
    subscriptions: [
      { topic: 'sensors/+device/+kind', qos: 1, stream: 'telemetry', partitionKey: { topicSegment: 'device' }, payload: 'json' },
      { topic: 'alerts/#', qos: 1, stream: 'alerts', partitionKey: { jsonField: 'source.id' }, payload: 'json' },
      { topic: 'raw/+', qos: 0, stream: 'raw', partitionKey: { fixed: 'all' }, payload: 'raw' },
    ],
    deadLetterStream: 'telemetry-dead',
    ...overrides,
  };
  const source = new MqttSource({ config, deviceId: 'gw-1', clock: systemClock });
  await source.start((records) => buffer.append(records));
  const port = source.brokerAddress()!.port;
  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'sensor-test' });
  cleanups.push(async () => {
    await publisher.endAsync();
    await source.stop();
    await buffer.close();
  });
  return { buffer, source, publisher };
}

describe('mqtt source with the embedded broker', () => {
  it('acknowledges a QoS 1 publish only once the message is durable in the buffer', async () => {
    const { buffer, publisher } = await setup();
    for (let i = 0; i < 50; i++) {
      await publisher.publishAsync(`sensors/dev-${i % 3}/temp`, JSON.stringify({ n: i }), { qos: 1 });
      // The PUBACK has arrived: the record must already be in the buffer.
      expect(buffer.stats().records).toBe(i + 1);
    }
    const stored = await buffer.peek('telemetry', 100, 1 << 20);
    expect(stored.map((r) => JSON.parse(r.data.toString()).n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(stored.filter((r) => r.partitionKey === 'dev-1').map((r) => JSON.parse(r.data.toString()).n)).toEqual(Array.from({ length: 17 }, (_, i) => 3 * i + 1));
  });

  it('takes partition keys from a JSON field or a fixed value, and passes raw payloads through', async () => {
    const { buffer, publisher } = await setup();
    await publisher.publishAsync('alerts/fire/zone-2', JSON.stringify({ source: { id: 'smoke-7' }, level: 'high' }), { qos: 1 });
    await publisher.publishAsync('raw/bytes', Buffer.from([0, 1, 2, 255]), { qos: 1 });
    const [alert] = await buffer.peek('alerts', 10, 1 << 20);
    expect(alert).toMatchObject({ partitionKey: 'smoke-7', stream: 'alerts' });
    const [raw] = await buffer.peek('raw', 10, 1 << 20);
    expect(raw!.partitionKey).toBe('all');
    expect([...raw!.data]).toEqual([0, 1, 2, 255]);
  });

  it('sends bad JSON and missing keys to the dead-letter stream, counts them, and keeps running', async () => {
    const { buffer, source, publisher } = await setup();
    await publisher.publishAsync('sensors/dev-1/temp', '{not json', { qos: 1 });
    await publisher.publishAsync('alerts/x', JSON.stringify({ no: 'source' }), { qos: 1 });
    await publisher.publishAsync('sensors/dev-1/temp', JSON.stringify({ ok: true }), { qos: 1 });
    await publisher.publishAsync('elsewhere/topic', 'ignored', { qos: 1 });
    const dead = await buffer.peek('telemetry-dead', 10, 1 << 20);
    expect(dead.map((r) => JSON.parse(r.data.toString()).reason)).toEqual(['payload is not valid JSON', 'partition key is missing']);
    expect(Buffer.from(JSON.parse(dead[0]!.data.toString()).payloadBase64, 'base64').toString()).toBe('{not json');
    expect(await buffer.peek('telemetry', 10, 1 << 20)).toHaveLength(1);
    expect(source.stats()).toMatchObject({ emitted: 1, errors: 2, deadLettered: 2, ignored: 1 });
  });
});

describe('mqtt source with an external Mosquitto broker', () => {
  it('holds a persistent session: messages sent while the agent is away arrive when it reconnects', async () => {
    const { startMosquitto } = await import('../../../../test/harness/mosquitto.js');
    const broker = await startMosquitto();
    const buffer = await newBuffer();
    const config: MqttSourceConfig = {
      type: 'mqtt',
      name: 'ext',
      broker: { url: broker.url },
      clientId: 'rivulet-gw-ext',
      subscriptions: [{ topic: 'sensors/+device/temp', qos: 1, stream: 'telemetry', partitionKey: { topicSegment: 'device' }, payload: 'json' }],
    };
    const emit = (records: Parameters<LevelBuffer['append']>[0]) => buffer.append(records);
    const dev9 = async () => (await buffer.peek('telemetry', 1000, 1 << 20)).filter((r) => r.partitionKey === 'dev-9');
    const waitForDev9 = async (n: number) => {
      for (let i = 0; i < 100 && (await dev9()).length < n; i++) await new Promise((r) => setTimeout(r, 50));
      return dev9();
    };
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'sensor-ext' });
    try {
      let source = new MqttSource({ config, deviceId: 'gw-ext', clock: systemClock });
      await source.start(emit);
      for (let i = 0; i < 5 && source.stats().emitted === 0; i++) {
        await publisher.publishAsync('sensors/probe/temp', JSON.stringify({ n: -1 }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 200));
      }
      await source.stop();
      for (let n = 0; n < 20; n++) await publisher.publishAsync('sensors/dev-9/temp', JSON.stringify({ n }), { qos: 1 });
      source = new MqttSource({ config, deviceId: 'gw-ext', clock: systemClock });
      await source.start(emit);
      const stored = await waitForDev9(20);
      await new Promise((r) => setTimeout(r, 200)); // nothing more may arrive
      expect((await dev9()).length).toBe(20);
      expect(stored.map((r) => (JSON.parse(r.data.toString()) as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
      await source.stop();
    } finally {
      await publisher.endAsync();
      await buffer.close();
      await broker.stop();
    }
  });
});
