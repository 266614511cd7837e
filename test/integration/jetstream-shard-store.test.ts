/**
 * JetStreamShardStore against a real 3-node JetStream cluster (Debian's nats-server) with
 * replicas 3: the same ShardStore contract suite as the LevelDB store, plus what is particular
 * to the replicated engine (binary search over many chunks, interleaved shards, a commit while
 * a follower is down, 503 instead of a hang when no quorum answers), and the shared-store API
 * several rivulet-ingest processes use (store-assigned positions, closing shards, compare-and-set
 * documents, claimed settings and stream ids), exercised by several store instances at once.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, RivuletError } from '@rivulet/shared';
import { POSITION_STRIDE } from '../../ingest-server/src/streams/jetstream/naming.js';
import { JetStreamShardStore } from '../../ingest-server/src/streams/jetstream/jetstream-shard-store.js';
import { runShardStoreContract } from '../../ingest-server/src/streams/store.contract.js';
import type { ChunkWrite } from '../../ingest-server/src/streams/store.js';
import { startNatsCluster, type NatsCluster } from '../harness/nats-cluster.js';

let cluster: NatsCluster;
let counter = 0;
const opened: JetStreamShardStore[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(opened.map((s) => s.close()));
  await cluster?.stop();
  cluster?.cleanup();
});

function makeStore(prefix: string, extra: Partial<ConstructorParameters<typeof JetStreamShardStore>[0]> = {}): JetStreamShardStore {
  const store = new JetStreamShardStore({ servers: cluster.servers, replicas: 3, prefix, ...extra });
  opened.push(store);
  return store;
}

function freshPrefix(): string {
  return `t${process.pid}x${++counter}`;
}

runShardStoreContract('JetStreamShardStore', {
  async create() {
    const prefix = freshPrefix();
    return { store: makeStore(prefix), reopen: async () => makeStore(prefix) };
  },
});

function chunk(shardIndex: number, firstPosition: number, count: number, arrivalMs: number, streamId = 1): ChunkWrite {
  return { streamId, shardIndex, firstPosition, count, arrivalMs, body: Buffer.from(`${shardIndex}@${firstPosition}`) };
}

describe('JetStreamShardStore on a 3-node cluster', () => {
  it('finds positions and times by binary search among many interleaved chunks of several shards', async () => {
    const store = makeStore(freshPrefix());
    await store.open();
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 600; i++) commits.push(store.commit({ chunks: [chunk(i % 3, Math.floor(i / 3) * 2, 2, 10_000 + i)] }));
    await Promise.all(commits);
    // Shard 1 holds positions 0..399 in chunks of 2, arrivals 10001, 10004, ...
    const fromMiddle = await store.readChunks(1, 1, 251, 1 << 20, 3);
    expect(fromMiddle.map((c) => c.firstPosition)).toEqual([250, 252, 254]);
    expect(Buffer.from(fromMiddle[0]!.body).toString()).toBe('1@250');
    // Sequential reads continue where the previous one stopped.
    expect((await store.readChunks(1, 1, 256, 1 << 20, 2)).map((c) => c.firstPosition)).toEqual([256, 258]);
    // Shard 2 holds chunk i = 2, 5, 8, ... at position floor(i / 3) * 2, arrival 10000 + i.
    expect(await store.positionAtTime(1, 2, 10_000 + 302)).toBe(200);
    expect(await store.positionAtTime(1, 2, 10_000 + 303)).toBe(202);
    expect(await store.tail(1, 0)).toEqual({ nextPosition: 400, lastArrivalMs: 10_000 + 597 });
    expect(await store.trimBefore(1, 0, 10_000 + 300)).toBe(100);
    expect((await store.readChunks(1, 0, 0, 1 << 20, 1)).map((c) => c.firstPosition)).toEqual([200]);
    expect((await store.readChunks(1, 1, 0, 1 << 20, 1)).map((c) => c.firstPosition)).toEqual([0]);
    await store.close();
  }, 60_000);

  it('stores names that are not subject-safe (dots, spaces, unicode) for streams, producers and settings', async () => {
    const prefix = freshPrefix();
    const store = makeStore(prefix);
    await store.open();
    await store.saveStream('my.stream name-ü', '{"x":1}');
    await store.commit({ chunks: [], producer: { producerId: 'cam.*>', state: 'p' } });
    await store.putSetting('a.b', 'v');
    await store.close();
    const again = makeStore(prefix);
    await again.open();
    expect([...(await again.loadStreams())]).toEqual([['my.stream name-ü', '{"x":1}']]);
    expect(await again.loadProducer('cam.*>')).toBe('p');
    expect(await again.getSetting('a.b')).toBe('v');
    await again.close();
  });

  it('keeps committing in order while a follower node is killed and restarted', async () => {
    const store = makeStore(freshPrefix());
    await store.open();
    await store.commit({ chunks: [chunk(0, 0, 1, 1)] });
    const victim = cluster.nodes[2]!;
    const writes: Promise<void>[] = [];
    for (let i = 1; i <= 200; i++) {
      writes.push(store.commit({ chunks: [chunk(0, i, 1, 1 + i)] }));
      if (i === 50) await victim.kill();
    }
    await Promise.all(writes);
    await victim.restart();
    const read = await store.readChunks(1, 0, 0, 1 << 20, 1000);
    expect(read.map((c) => c.firstPosition)).toEqual(Array.from({ length: 201 }, (_, i) => i));
    await store.close();
  }, 90_000);

  it('recovers publishes whose acks were lost with the node it was connected to, keeping order without duplicates', async () => {
    const prefix = freshPrefix();
    const probe = makeStore(prefix);
    await probe.open();
    await probe.commit({ chunks: [chunk(0, 0, 1, 1)] });
    const nc = await connect({ servers: cluster.servers });
    const leader = (await (await jetstreamManager(nc)).streams.info(`${prefix}-s1`)).cluster?.leader;
    await nc.close();
    await probe.close();
    // Connected only to a follower (it learns the others from the cluster): killing it drops the
    // connection with publishes in flight.
    const victim = cluster.nodes.find((n) => n.name !== leader)!;
    const store = makeStore(prefix, { servers: [`nats://127.0.0.1:${victim.port}`] });
    await store.open();
    const writes: Promise<void>[] = [];
    for (let i = 1; i <= 300; i++) {
      writes.push(store.commit({ chunks: [chunk(0, i, 1, 1 + i)] }));
      // Once the first 100 are on the wire, before their acks are back.
      if (i === 100) await new Promise((r) => setImmediate(r)).then(() => victim.kill());
    }
    const outcomes = await Promise.allSettled(writes);
    await victim.restart();
    const read = await store.readChunks(1, 0, 0, 1 << 20, 1000);
    const positions = read.map((c) => c.firstPosition);
    // In order, each once, and every acknowledged commit is there.
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    const acked = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i + 1] : []));
    expect(acked.filter((p) => !positions.includes(p))).toEqual([]);
    expect(acked.length).toBeGreaterThan(250);
    await store.close();
  }, 90_000);

  it('stores a 6 MiB chunk (a full PutRecords batch on one shard, as base64) in one message', async () => {
    const store = makeStore(freshPrefix());
    await store.open();
    const body = Buffer.alloc(6 * 1024 * 1024, 0x41);
    await store.commit({ chunks: [{ streamId: 1, shardIndex: 0, firstPosition: 0, count: 500, arrivalMs: 1, body }] });
    const [read] = await store.readChunks(1, 0, 0, 1 << 30, 10);
    expect(Buffer.compare(Buffer.from(read!.body), body)).toBe(0);
    await store.close();
  });

  it('refuses to open on servers that keep the 1 MiB default max_payload, saying what to set', async () => {
    const small = await startNatsCluster({ nodes: 1, maxPayload: '1MB' });
    try {
      const store = new JetStreamShardStore({ servers: small.servers, replicas: 1, prefix: freshPrefix() });
      await expect(store.open()).rejects.toThrow(/max_payload: 8MB/);
    } finally {
      await small.stop();
      small.cleanup();
    }
  });

  it('rejects with ServiceUnavailable instead of hanging when no quorum answers', async () => {
    const store = makeStore(freshPrefix(), { requestTimeoutMs: 1_000, recoverMs: 2_000 });
    await store.open();
    await store.commit({ chunks: [chunk(0, 0, 1, 1)] });
    await cluster.nodes[0]!.kill();
    await cluster.nodes[1]!.kill();
    try {
      const started = Date.now();
      const failed = await store.commit({ chunks: [chunk(0, 1, 1, 2)] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(RivuletError);
      expect((failed as RivuletError).code).toBe('STREAMS_STORAGE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(15_000);
      // A read may still be answered (a leader that has not yet noticed it lost its quorum
      // serves its data), but it never hangs, and a failure is a RivuletError.
      const readStarted = Date.now();
      const read = await store.getSetting('x').then(
        (v) => v,
        (e: unknown) => e,
      );
      expect(read === null || (read instanceof RivuletError && read.code === 'STREAMS_STORAGE_UNAVAILABLE')).toBe(true);
      expect(Date.now() - readStarted).toBeLessThan(5_000);
    } finally {
      await Promise.all([cluster.nodes[0]!.restart(), cluster.nodes[1]!.restart()]);
    }
    // As a client retries a 503 until the stream has a leader again; the retried chunk (same
    // Nats-Msg-Id) is stored once however many attempts landed.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await store.commit({ chunks: [chunk(0, 1, 1, 2)] });
        break;
      } catch (e) {
        expect((e as RivuletError).code).toBe('STREAMS_STORAGE_UNAVAILABLE');
        if (Date.now() > deadline) throw e;
      }
    }
    expect((await store.readChunks(1, 0, 0, 1 << 20, 10)).map((c) => c.firstPosition)).toEqual([0, 1]);
    await store.close();
  }, 90_000);
});

describe('JetStreamShardStore shared by several processes', () => {
  /** Two store instances on one prefix, as two rivulet-ingest processes have. */
  async function twoStores() {
    const prefix = freshPrefix();
    const a = makeStore(prefix);
    const b = makeStore(prefix);
    await Promise.all([a.open(), b.open()]);
    return { a: a.shared, b: b.shared, storeA: a, storeB: b };
  }
  const body = (text: string) => Buffer.from(text);

  it('assigns positions from the JetStream sequence, stores a dedup id once, and refuses appends to a closed shard', async () => {
    const { a, b, storeA } = await twoStores();
    await a.setWritableShards(1, [0, 1]);
    const [x, y] = await Promise.all([
      a.append([{ streamId: 1, shardIndex: 0, count: 2, arrivalMs: 5, body: body('x') }]),
      b.append([{ streamId: 1, shardIndex: 0, count: 3, arrivalMs: 6, body: body('y') }]),
    ]);
    const positions = [x[0]!, y[0]!].map((o) => ('firstPosition' in o ? o.firstPosition : -1));
    expect(positions.every((p) => p > 0 && p % POSITION_STRIDE === 0)).toBe(true);
    expect(new Set(positions).size).toBe(2);
    // The same dedup id through either instance: one message, one position.
    const once = await a.append([{ streamId: 1, shardIndex: 1, count: 1, arrivalMs: 7, body: body('p'), dedupId: 'cam/9/1/g' }]);
    const again = await b.append([{ streamId: 1, shardIndex: 1, count: 1, arrivalMs: 8, body: body('p'), dedupId: 'cam/9/1/g' }]);
    expect(again).toEqual(once);
    expect(await storeA.readChunks(1, 1, 0, 1 << 20, 10)).toHaveLength(1);
    // Close shard 0 (open 2 and 3 instead): appends to it are refused at once, by both instances.
    await a.setWritableShards(1, [1, 2, 3]);
    expect(await b.append([{ streamId: 1, shardIndex: 0, count: 1, arrivalMs: 9, body: body('late') }])).toEqual([{ closed: true }]);
    const child = await b.append([{ streamId: 1, shardIndex: 2, count: 1, arrivalMs: 9, body: body('c') }]);
    expect('firstPosition' in child[0]! && child[0].firstPosition > Math.max(...positions)).toBe(true);
    // The closed shard keeps its records readable, in append order.
    expect((await storeA.readChunks(1, 0, 0, 1 << 20, 10)).map((c) => c.firstPosition)).toEqual([...positions].sort((p, q) => p - q));
    // A deleted stream's appends are refused too.
    expect(await a.deleteStreamIf('gone', 1, 0)).toBe(true);
    expect(await b.append([{ streamId: 1, shardIndex: 1, count: 1, arrivalMs: 9, body: body('z') }])).toEqual([{ closed: true }]);
  }, 60_000);

  it('lets exactly one of many concurrent compare-and-set writers win, and follows every change including deletes', async () => {
    const { a, b } = await twoStores();
    const created = await a.saveStreamIf('s', '{"v":0}', 0);
    expect(created).not.toBeNull();
    const racers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).saveStreamIf('s', `{"v":${i + 1}}`, created!)));
    const winners = racers.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await b.saveStreamIf('s', '{"v":"stale"}', created!)).toBeNull();
    const stored = await b.loadStream('s');
    expect(stored?.revision).toBe(winners[0]);
    expect(await a.saveStreamIf('other', '{"o":1}', 0)).not.toBeNull();
    expect(await a.deleteStreamIf('other', 99, 1)).toBe(false);
    const other = await a.loadStream('other');
    expect(await b.deleteStreamIf('other', 99, other!.revision)).toBe(true);
    const changes = await b.changesAfter(0);
    expect(changes.map((c) => [c.name, c.document])).toEqual([
      ['s', stored!.document],
      ['other', null],
    ]);
    expect(await a.changesAfter(changes.at(-1)!.revision)).toEqual([]);
  }, 60_000);

  it('agrees on one claimed setting and hands out distinct stream ids under concurrency', async () => {
    const { a, b } = await twoStores();
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).claimSetting('iterator-secret', `secret-${i}`)));
    expect(new Set(claims).size).toBe(1);
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).allocateStreamId()));
    expect(new Set(ids).size).toBe(12);
    expect(Math.min(...ids)).toBe(1);
  }, 60_000);

  it('sweeps only orphan chunk streams old enough that no process can be creating their stream', async () => {
    const clock = new ManualClock(Date.now());
    const store = makeStore(freshPrefix(), { clock });
    await store.open();
    await store.commit({ chunks: [chunk(0, 0, 1, 1, 5)] });
    expect(await store.sweep(new Map())).toBe(0);
    expect(await store.readChunks(5, 0, 0, 1 << 20, 10)).toHaveLength(1);
    clock.advance(11 * 60_000);
    expect(await store.sweep(new Map())).toBe(1);
    expect(await store.readChunks(5, 0, 0, 1 << 20, 10)).toEqual([]);
  }, 60_000);
});
