/**
 * Tests for the Mosquitto harness: the broker it starts carries QoS 1 traffic between real
 * mqtt.js clients, keeps persistent sessions, and talks to the mosquitto_pub CLI.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, startMosquitto, type MosquittoBroker } from './mosquitto.js';

const execFileAsync = promisify(execFile);

/** Resolves with the first `count` payloads on `topic`; attach before the messages can arrive. */
function collect(client: MqttClient, topic: string, count: number): Promise<string[]> {
  return new Promise((resolve) => {
    const payloads: string[] = [];
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      payloads.push(payload.toString());
      if (payloads.length === count) {
        client.off('message', onMessage);
        resolve(payloads);
      }
    };
    client.on('message', onMessage);
  });
}

describe('startMosquitto', () => {
  let broker: MosquittoBroker;
  const clients: MqttClient[] = [];
  const track = (client: MqttClient) => (clients.push(client), client);

  beforeAll(async () => {
    broker = await startMosquitto();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker?.stop();
  });

  it('carries a QoS 1 message from a publisher to a subscriber', async () => {
    const sub = track(await connectAsync(broker.url, { reconnectPeriod: 0 }));
    const pub = track(await connectAsync(broker.url, { reconnectPeriod: 0 }));
    const granted = await sub.subscribeAsync('rivulet/test/round-trip', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);

    const received = collect(sub, 'rivulet/test/round-trip', 1);
    await pub.publishAsync('rivulet/test/round-trip', 'hello', { qos: 1 });
    expect(await received).toEqual(['hello']);
  });

  it('delivers QoS 1 messages sent while a persistent-session subscriber was away', async () => {
    const topic = 'rivulet/test/persistent';
    const options = { clientId: 'rivulet-persistent-sub', clean: false, reconnectPeriod: 0 } as const;

    const first = await connectAsync(broker.url, options);
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();

    const pub = track(await connectAsync(broker.url, { reconnectPeriod: 0 }));
    const sent = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const payload of sent) await pub.publishAsync(topic, payload, { qos: 1 });

    // The broker flushes the queue right after CONNACK, so listen before the connection opens.
    const again = track(connect(broker.url, options));
    const received = collect(again, topic, sent.length);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      again.once('connect', resolve);
      again.once('error', reject);
    });
    expect(connack.sessionPresent).toBe(true);
    expect(await received).toEqual(sent);
  });

  it('accepts a message from the mosquitto_pub CLI', async () => {
    const mosquittoPub = findExecutable('mosquitto_pub');
    expect(mosquittoPub, 'mosquitto_pub on PATH (scripts/install-system-deps.sh)').toBeDefined();

    const topic = 'rivulet/test/cli';
    const sub = track(await connectAsync(broker.url, { reconnectPeriod: 0 }));
    await sub.subscribeAsync(topic, { qos: 1 });
    const received = collect(sub, topic, 1);
    await execFileAsync(mosquittoPub!, ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', topic, '-m', 'from-cli']);
    expect(await received).toEqual(['from-cli']);
  });
});
