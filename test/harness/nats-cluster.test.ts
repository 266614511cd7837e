/**
 * Tests for the NATS cluster harness: three real nats-server nodes form one JetStream cluster,
 * an R3 stream takes acknowledged writes, and a SIGKILLed node comes back on the same ports and
 * store directory with the data it had.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';

/**
 * A publish in flight while the client reconnects can lose its ack (the reply inbox is
 * re-subscribed after the buffered request is flushed); retry with the same message id, which
 * JetStream deduplicates, as any client must.
 */
async function publishWithRetry(js: ReturnType<typeof jetstream>, subject: string, data: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await js.publish(subject, data, { msgID: `${subject}/${data}`, timeout: 2_000 });
      return;
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}

describe('startNatsCluster', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await startNatsCluster();
    nc = await connect({ servers: cluster.servers, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
    cluster?.cleanup();
  });

  it('starts three distinct nodes that answer JetStream', async () => {
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(new Set(cluster.nodes.map((n) => n.storeDir)).size).toBe(3);
    expect(cluster.nodes.every((n) => n.alive)).toBe(true);
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    expect(info.streams).toBe(0);
  });

  it('keeps an R3 stream writable and readable across a killed and restarted node', async () => {
    const jsm = await jetstreamManager(nc);
    const si = await jsm.streams.add({ name: 'harness', subjects: ['harness.>'], num_replicas: 3 });
    expect(si.cluster?.replicas?.length).toBe(2);
    const js = jetstream(nc);
    await publishWithRetry(js, 'harness.a', 'one');

    const victim = cluster.nodes.find((n) => n.name !== si.cluster?.leader);
    expect(victim).toBeDefined();
    await victim!.kill();
    expect(victim!.alive).toBe(false);
    await publishWithRetry(js, 'harness.a', 'two');

    await victim!.restart();
    expect(victim!.alive).toBe(true);
    await publishWithRetry(js, 'harness.a', 'three');
    const info = await jsm.streams.info('harness');
    expect(info.state.messages).toBe(3);

    // The restarted node answers JetStream itself, with the stream's data caught up.
    const direct = await connect({ servers: `nats://127.0.0.1:${victim!.port}` });
    try {
      const djsm = await jetstreamManager(direct);
      const deadline = Date.now() + 15_000;
      let seen: string[] = [];
      while (Date.now() < deadline) {
        const replica = (await djsm.streams.info('harness')).cluster?.replicas?.find((r) => r.name === victim!.name);
        if (replica?.current === true) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const msgs = await Promise.all([1, 2, 3].map((seq) => djsm.streams.getMessage('harness', { seq })));
      seen = msgs.map((m) => m?.string() ?? '');
      expect(seen).toEqual(['one', 'two', 'three']);
    } finally {
      await direct.close();
    }
  }, 60_000);
});
