/**
 * The ShardStore contract: every implementation runs this suite in one line
 * (`runShardStoreContract('LevelShardStore', factory)`), so a new engine proves the same
 * invariants the service relies on (see store.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ChunkWrite, ShardStore } from './store.js';

export interface StoreFactory {
  /** A fresh, empty store at a new location. */
  create(): Promise<{ store: ShardStore; reopen: () => Promise<ShardStore> }>;
}

function chunk(shardIndex: number, firstPosition: number, count: number, arrivalMs: number, streamId = 1): ChunkWrite {
  return { streamId, shardIndex, firstPosition, count, arrivalMs, body: Buffer.from(`s${streamId}/${shardIndex}@${firstPosition}x${count}`) };
}

export function runShardStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name} satisfies the ShardStore contract`, () => {
    async function opened() {
      const made = await factory.create();
      await made.store.open();
      return made;
    }

    it('reads back committed chunks in position order, starting at the chunk holding fromPosition', async () => {
      const { store } = await opened();
      await store.commit({ chunks: [chunk(0, 0, 10, 1000), chunk(1, 0, 5, 1000)] });
      await store.commit({ chunks: [chunk(0, 10, 10, 2000)] });
      await store.commit({ chunks: [chunk(0, 20, 1, 3000)] });
      const fromMiddle = await store.readChunks(1, 0, 15, 1 << 20, 100);
      expect(fromMiddle.map((c) => c.firstPosition)).toEqual([10, 20]);
      expect(fromMiddle[0]).toMatchObject({ count: 10, arrivalMs: 2000 });
      expect(Buffer.from(fromMiddle[0]!.body).toString()).toBe('s1/0@10x10');
      expect((await store.readChunks(1, 0, 0, 1 << 20, 1)).map((c) => c.firstPosition)).toEqual([0]);
      expect(await store.readChunks(1, 0, 21, 1 << 20, 100)).toEqual([]);
      expect((await store.readChunks(1, 1, 0, 1 << 20, 100)).map((c) => c.count)).toEqual([5]);
      await store.close();
    });

    it('resolves concurrent commits in call order, all durable together (group commit)', async () => {
      const { store } = await opened();
      const order: number[] = [];
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit({ chunks: [chunk(0, i, 1, 1000 + i)] }).then(() => order.push(i))));
      expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect((await store.readChunks(1, 0, 0, 1 << 20, 1000)).map((c) => c.firstPosition)).toEqual(order);
      await store.close();
    });

    it('reports the tail of each shard, surviving a reopen', async () => {
      const { store, reopen } = await opened();
      expect(await store.tail(1, 0)).toEqual({ nextPosition: null, lastArrivalMs: null });
      await store.commit({ chunks: [chunk(0, 0, 3, 500), chunk(0, 3, 4, 700)] });
      await store.close();
      const again = await reopen();
      await again.open();
      expect(await again.tail(1, 0)).toEqual({ nextPosition: 7, lastArrivalMs: 700 });
      await again.close();
    });

    it('finds the first chunk at or after a time, and trims whole chunks before a cutoff', async () => {
      const { store } = await opened();
      await store.commit({ chunks: [chunk(0, 0, 2, 1000), chunk(0, 2, 2, 2000), chunk(0, 4, 2, 3000)] });
      expect(await store.positionAtTime(1, 0, 1500)).toBe(2);
      expect(await store.positionAtTime(1, 0, 3000)).toBe(4);
      expect(await store.positionAtTime(1, 0, 3001)).toBeNull();
      expect(await store.trimBefore(1, 0, 2500)).toBe(2);
      expect((await store.readChunks(1, 0, 0, 1 << 20, 10)).map((c) => c.firstPosition)).toEqual([4]);
      expect(await store.positionAtTime(1, 0, 0)).toBe(4);
      expect(await store.trimBefore(1, 0, 2500)).toBe(0);
      await store.close();
    });

    it('keeps streams and shards apart, and deletes one stream wholly', async () => {
      const { store } = await opened();
      await store.saveStream('a', '{"doc":"a"}');
      await store.saveStream('b', '{"doc":"b"}');
      await store.commit({ chunks: [chunk(0, 0, 1, 1, 1), chunk(0, 0, 1, 1, 2)] });
      await store.deleteStream('a', 1);
      expect([...(await store.loadStreams()).keys()]).toEqual(['b']);
      expect(await store.readChunks(1, 0, 0, 1 << 20, 10)).toEqual([]);
      expect(await store.readChunks(2, 0, 0, 1 << 20, 10)).toHaveLength(1);
      await store.close();
    });

    it('commits producer state atomically with its chunks and keeps settings', async () => {
      const { store, reopen } = await opened();
      await store.commit({ chunks: [chunk(0, 0, 1, 1)], producer: { producerId: 'cam-1', state: '{"seq":3}' } });
      await store.putSetting('secret', 'xyz');
      await store.close();
      const again = await reopen();
      await again.open();
      expect(await again.loadProducer('cam-1')).toBe('{"seq":3}');
      expect(await again.loadProducer('cam-2')).toBeNull();
      expect(await again.getSetting('secret')).toBe('xyz');
      expect(await again.readChunks(1, 0, 0, 1 << 20, 10)).toHaveLength(1);
      await again.close();
    });

    it('sweeps storage of expired and deleted streams while live chunks stay readable', async () => {
      const { store } = await opened();
      for (let i = 0; i < 20; i++) await store.commit({ chunks: [chunk(0, i, 1, 1000 + i, 1), chunk(0, i, 1, 1000 + i, 2)] });
      await store.trimBefore(1, 0, 1010);
      await store.sweep(new Map([[1, 1010], [2, 0]]));
      expect((await store.readChunks(1, 0, 0, 1 << 20, 100)).map((c) => c.firstPosition)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      expect(await store.readChunks(2, 0, 0, 1 << 20, 100)).toHaveLength(20);
      await store.sweep(new Map([[1, 1010]]));
      expect(await store.readChunks(1, 0, 10, 1 << 20, 100)).toHaveLength(10);
      await store.close();
    });

    it('stops a read at maxBytes but always returns at least one chunk', async () => {
      const { store } = await opened();
      await store.commit({ chunks: [chunk(0, 0, 1, 1), chunk(0, 1, 1, 1), chunk(0, 2, 1, 1)] });
      expect(await store.readChunks(1, 0, 0, 1, 10)).toHaveLength(1);
      await store.close();
    });
  });
}
