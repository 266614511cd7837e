/**
 * JetStreamBlobStore against a real 3-node JetStream cluster (Debian's nats-server) with
 * replicas 3: the same BlobStore contract suite as the file store, plus what is particular to
 * the replicated engine: a 20 MiB object, puts acknowledged while a follower is SIGKILLed and
 * restarted, reads while a node is down, and 503 instead of a hang when no quorum answers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { runBlobStoreContract } from '../../ingest-server/src/blob/blob.contract.js';
import { JetStreamBlobStore, type JetStreamBlobStoreOptions } from '../../ingest-server/src/blob/jetstream-blob-store.js';
import { startNatsCluster, type NatsCluster, type NatsNode } from '../harness/nats-cluster.js';

let cluster: NatsCluster;
let buckets = 0;

beforeAll(async () => {
  cluster = await startNatsCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  cluster?.cleanup();
});

/** A store on bucket `<prefix>-blobs` (a fresh one by default), closed when the test ends. */
function makeStore(prefix = `b${process.pid}x${++buckets}`, extra: Partial<JetStreamBlobStoreOptions> = {}): JetStreamBlobStore {
  const store = new JetStreamBlobStore({ servers: cluster.servers, replicas: 3, prefix, ...extra });
  onTestFinished(() => store.close());
  return store;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The node leading the bucket's stream, and the others. */
async function roles(store: JetStreamBlobStore): Promise<{ leader: NatsNode; followers: NatsNode[] }> {
  const nc = await connect({ servers: cluster.servers });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(`OBJ_${store.bucket}`);
    const leader = cluster.nodes.find((n) => n.name === info.cluster?.leader);
    if (!leader) throw new Error(`no leader for OBJ_${store.bucket}`);
    return { leader, followers: cluster.nodes.filter((n) => n !== leader) };
  } finally {
    await nc.close();
  }
}

runBlobStoreContract('JetStreamBlobStore', {
  async create() {
    const store = makeStore();
    return { store, reopen: async () => makeStore(store.bucket.replace(/-blobs$/, '')) };
  },
});

describe('JetStreamBlobStore on a 3-node cluster', () => {
  it('creates a file-storage bucket with 3 replicas and direct gets', async () => {
    const store = makeStore();
    await store.open();
    const nc = await connect({ servers: cluster.servers });
    const info = await (await jetstreamManager(nc)).streams.info(`OBJ_${store.bucket}`);
    await nc.close();
    expect(info.config).toMatchObject({ num_replicas: 3, storage: 'file', allow_direct: true });
    await store.close();
  });

  it('round-trips a 20 MiB object, and frees its chunks when it is replaced and deleted', async () => {
    const store = makeStore();
    await store.open();
    const big = randomBytes(20 * 1024 * 1024);
    await store.put('1/big.mkv', big);
    const read = await store.get('1/big.mkv');
    expect(read?.length).toBe(big.length);
    expect(sha(read!)).toBe(sha(big));
    await store.put('1/big.mkv', Buffer.from('small now'));
    expect((await store.get('1/big.mkv'))?.toString()).toBe('small now');
    await store.delete('1/big.mkv');
    const nc = await connect({ servers: cluster.servers });
    const info = await (await jetstreamManager(nc)).streams.info(`OBJ_${store.bucket}`);
    await nc.close();
    expect(info.state.messages).toBe(0);
    // Reads made no consumer (temporary consumers are what fail while a node is down).
    expect(info.state.consumer_count).toBe(0);
    await store.close();
  }, 120_000);

  it('keeps every put acknowledged while a follower is SIGKILLed and restarted, byte-identical', async () => {
    const store = makeStore();
    await store.open();
    await store.put('warm', Buffer.from('up'));
    const { followers } = await roles(store);
    const victim = followers[0]!;
    const bodies = new Map<string, Buffer>();
    const puts: Promise<string>[] = [];
    for (let i = 0; i < 60; i++) {
      const key = `f/${String(i).padStart(3, '0')}.mkv`;
      const body = randomBytes(50_000 + i * 7_919);
      bodies.set(key, body);
      puts.push(store.put(key, body).then(() => key));
      if (i === 20) await victim.kill();
      if (i === 40) await victim.restart();
      if (i % 5 === 0) await Promise.allSettled(puts);
    }
    const outcomes = await Promise.allSettled(puts);
    const acked = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    // With a quorum left every put is acknowledged (a failed one would have been reported).
    expect(acked.length).toBe(60);
    for (const key of acked) expect(sha((await store.get(key))!), key).toBe(sha(bodies.get(key)!));
    expect(await store.list('f/')).toEqual([...bodies.keys()].sort());
    await store.close();
  }, 120_000);

  it('keeps reading, byte-identical, while the leader or a follower is down', async () => {
    const store = makeStore();
    await store.open();
    const bodies = Array.from({ length: 10 }, (_, i) => randomBytes(200_000 + i * 1000));
    await Promise.all(bodies.map((b, i) => store.put(`r/${i}`, b)));
    for (const role of ['follower', 'leader'] as const) {
      const { leader, followers } = await roles(store);
      const victim = role === 'leader' ? leader : followers[0]!;
      await victim.kill();
      try {
        // Repeated reads: each one creating a consumer would fail about a third of the time.
        for (let round = 0; round < 5; round++) {
          const read = await Promise.all(bodies.map((_, i) => store.get(`r/${i}`)));
          read.forEach((r, i) => expect(sha(r!), `${role} down, r/${i}`).toBe(sha(bodies[i]!)));
        }
        expect((await store.list('r/')).length).toBe(10);
      } finally {
        await victim.restart();
      }
    }
    await store.close();
  }, 120_000);

  it('rejects with BLOB_STORAGE_UNAVAILABLE instead of hanging when no quorum answers', async () => {
    const store = makeStore(undefined, { requestTimeoutMs: 1_000, retryMs: 2_000 });
    await store.open();
    await store.put('q/1', Buffer.from('before'));
    await cluster.nodes[0]!.kill();
    await cluster.nodes[1]!.kill();
    try {
      const started = Date.now();
      const failed = await store.put('q/2', randomBytes(300_000)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(RivuletError);
      expect((failed as RivuletError).code).toBe('BLOB_STORAGE_UNAVAILABLE');
      expect((failed as RivuletError).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(15_000);
      // A read may still be answered by the surviving replica, but it never hangs.
      const readStarted = Date.now();
      const read = await store.get('q/1').then(
        (v) => v,
        (e: unknown) => e,
      );
      expect(Buffer.isBuffer(read) ? read.toString() : (read as RivuletError).code).toMatch(/^(before|BLOB_STORAGE_UNAVAILABLE)$/);
      expect(Date.now() - readStarted).toBeLessThan(15_000);
      const listStarted = Date.now();
      const listed = await store.list('q/').catch((e: unknown) => e);
      expect(Array.isArray(listed) ? listed.join() : (listed as RivuletError).code).toMatch(/^(q\/1|BLOB_STORAGE_UNAVAILABLE)$/);
      expect(Date.now() - listStarted).toBeLessThan(15_000);
    } finally {
      await Promise.all([cluster.nodes[0]!.restart(), cluster.nodes[1]!.restart()]);
    }
    // Once a quorum is back, a put retried as a client retries a 503 succeeds.
    await expect.poll(() => store.put('q/2', Buffer.from('after')).then(() => 'stored', (e: RivuletError) => e.code), { timeout: 30_000, interval: 200 }).toBe('stored');
    expect((await store.get('q/2'))?.toString()).toBe('after');
    expect((await store.get('q/1'))?.toString()).toBe('before');
    await store.close();
  }, 120_000);
});
