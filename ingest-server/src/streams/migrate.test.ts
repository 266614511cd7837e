import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { LevelShardStore } from './level-shard-store.js';
import { migrateStreams, type MigrateProgress } from './migrate.js';
import type { ShardStore, StoredChunk } from './store.js';

const opened: ShardStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
});

async function levelStore(): Promise<LevelShardStore> {
  const store = new LevelShardStore({ location: join(mkdtempSync(join(tmpdir(), 'rivulet-migrate-')), 'streams'), segmentBytes: 64 * 1024 });
  await store.open();
  opened.push(store);
  return store;
}

function streamDoc(name: string, id: number, shards: number, closed: number[] = []): string {
  return JSON.stringify({
    name,
    id,
    mode: 'PROVISIONED',
    createdAtMs: 1,
    retentionHours: 24,
    shards: Array.from({ length: shards }, (_, index) => ({ index, parentIndex: null, adjacentParentIndex: null, startingHashKey: '0', endingHashKey: '1', createdAtMs: 1, endingPosition: closed.includes(index) ? 99 : null })),
    nextShardIndex: shards,
    tags: {},
    encryption: { type: 'NONE' },
    consumers: [],
    shardLevelMetrics: [],
  });
}

/** Chunks of 1–5 records with bodies that differ per position, so a misplaced byte shows. */
async function fill(store: ShardStore, streamId: number, shard: number, chunks: number, startMs = 1_000): Promise<void> {
  let position = 0;
  for (let i = 0; i < chunks; i++) {
    const count = 1 + (i % 5);
    await store.commit({ chunks: [{ streamId, shardIndex: shard, firstPosition: position, count, arrivalMs: startMs + i, body: Buffer.from(`${streamId}/${shard}/${position}:${'x'.repeat(i % 97)}`) }] });
    position += count;
  }
}

async function allChunks(store: ShardStore, streamId: number, shard: number): Promise<StoredChunk[]> {
  const out: StoredChunk[] = [];
  let position = 0;
  for (;;) {
    const page = (await store.readChunks(streamId, shard, position, 1 << 20, 50)).filter((c) => c.firstPosition >= position);
    if (page.length === 0) return out;
    out.push(...page);
    position = page.at(-1)!.firstPosition + page.at(-1)!.count;
  }
}

const comparable = (chunks: StoredChunk[]) => chunks.map((c) => ({ ...c, body: Buffer.from(c.body).toString('hex') }));

/** A real store whose commits start failing after `okCommits`, as a crash mid-copy would leave it. */
function failingAfter(store: ShardStore, okCommits: number): ShardStore {
  let commits = 0;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'commit') {
        return (request: Parameters<ShardStore['commit']>[0]) => {
          if (++commits > okCommits) return Promise.reject(new Error('connection lost'));
          return target.commit(request);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function sourceWithTwoStreams(): Promise<LevelShardStore> {
  const from = await levelStore();
  await from.saveStream('orders', streamDoc('orders', 1, 3, [0]));
  await from.saveStream('clicks', streamDoc('clicks', 2, 1));
  await from.putSetting('iterator-secret', 'c2VjcmV0');
  await from.putSetting('next-stream-id', '3');
  await from.commit({ chunks: [], producer: { producerId: 'cam-1', state: '{"seq":4,"response":"r"}' } });
  await fill(from, 1, 0, 40);
  await fill(from, 1, 1, 25);
  // shard 2 of orders has no records
  await fill(from, 2, 0, 30);
  return from;
}

describe('migrateStreams', () => {
  it('copies documents, settings and every chunk byte for byte, reporting progress up to the total', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    const progress: MigrateProgress[] = [];
    const summary = await migrateStreams({ from, to, pageChunks: 7, onProgress: (p) => progress.push(p) });

    expect(await to.loadStreams()).toEqual(await from.loadStreams());
    for (const [id, shard] of [[1, 0], [1, 1], [1, 2], [2, 0]] as const) {
      expect(comparable(await allChunks(to, id, shard))).toEqual(comparable(await allChunks(from, id, shard)));
      expect(await to.tail(id, shard)).toEqual(await from.tail(id, shard));
    }
    expect(await to.getSetting('iterator-secret')).toBe('c2VjcmV0');
    expect(await to.getSetting('next-stream-id')).toBe('3');
    const records = (await from.tail(1, 0)).nextPosition! + (await from.tail(1, 1)).nextPosition! + (await from.tail(2, 0)).nextPosition!;
    expect(summary).toMatchObject({ chunks: 95, records, iteratorSecretCopied: true, producerStates: 1, producerStatesCopied: true });
    expect(await to.loadProducer('cam-1')).toBe('{"seq":4,"response":"r"}');
    expect(summary.streams.map((s) => [s.name, s.outcome, s.shards])).toEqual([['clicks', 'copied', 1], ['orders', 'copied', 3]]);
    expect(progress.at(-1)).toMatchObject({ chunksDone: 95, recordsDone: records, totalRecordsEstimate: records, totalChunksEstimate: 95 });
    expect(progress.map((p) => p.recordsDone)).toEqual([...progress.map((p) => p.recordsDone)].sort((a, b) => a - b));
  });

  it('resumes an interrupted copy at the target tail, without duplicates, and writes the document last', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    await expect(migrateStreams({ from, to: failingAfter(to, 3), streams: ['orders'], pageChunks: 4, shardConcurrency: 1 })).rejects.toThrow('connection lost');
    expect((await to.loadStreams()).has('orders')).toBe(false);
    const partial = (await to.tail(1, 0)).nextPosition!;
    expect(partial).toBeGreaterThan(0);

    const summary = await migrateStreams({ from, to, streams: ['orders'], pageChunks: 4 });
    expect(summary.streams[0]).toMatchObject({ name: 'orders', outcome: 'resumed', recordsAlreadyThere: partial });
    for (const shard of [0, 1]) {
      const copied = await allChunks(to, 1, shard);
      expect(comparable(copied)).toEqual(comparable(await allChunks(from, 1, shard)));
      expect(new Set(copied.map((c) => c.firstPosition)).size).toBe(copied.length);
    }
    expect([...(await to.loadStreams()).keys()]).toEqual(['orders']);
  });

  it('refuses a partial copy with a gap in it, and starts that stream over when forced', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    const source = await allChunks(from, 2, 0);
    // What a non-atomic store could leave after a failed commit: chunks 0 and 2, not 1.
    for (const c of [source[0]!, source[2]!]) await to.commit({ chunks: [{ streamId: 2, shardIndex: 0, ...c }] });
    await expect(migrateStreams({ from, to, streams: ['clicks'] })).rejects.toThrow(/does not match the source/);
    const forced = await migrateStreams({ from, to, streams: ['clicks'], force: true });
    expect(forced.streams[0]).toMatchObject({ outcome: 'copied', recordsAlreadyThere: 0 });
    expect(comparable(await allChunks(to, 2, 0))).toEqual(comparable(source));
  });

  it('treats a finished stream as unchanged on a rerun, even after the target has grown', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    await migrateStreams({ from, to });
    const next = (await to.tail(2, 0)).nextPosition!;
    await to.commit({ chunks: [{ streamId: 2, shardIndex: 0, firstPosition: next, count: 1, arrivalMs: 9_999, body: Buffer.from('new') }] });
    const again = await migrateStreams({ from, to });
    expect(again.streams.map((s) => s.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(again.records).toBe(0);
    expect((await to.tail(2, 0)).nextPosition).toBe(next + 1);
  });

  it('refuses to overwrite a different stream of the same name unless forced', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    await to.saveStream('clicks', streamDoc('clicks', 7, 1));
    await fill(to, 7, 0, 3);
    const refused = migrateStreams({ from, to, streams: ['clicks'] });
    await expect(refused).rejects.toBeInstanceOf(RivuletError);
    await expect(migrateStreams({ from, to, streams: ['clicks'] })).rejects.toThrow(/already exists in the target/);
    expect(await to.readChunks(2, 0, 0, 1 << 20, 10)).toEqual([]);

    const forced = await migrateStreams({ from, to, streams: ['clicks'], force: true });
    expect(forced.streams[0]).toMatchObject({ outcome: 'copied' });
    expect((await to.loadStreams()).get('clicks')).toBe(streamDoc('clicks', 2, 1));
    expect(await to.readChunks(7, 0, 0, 1 << 20, 10)).toEqual([]);
    expect(comparable(await allChunks(to, 2, 0))).toEqual(comparable(await allChunks(from, 2, 0)));
  });

  it('refuses a stream whose id another stream holds in the target, unknown stream names and broken documents', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    await to.saveStream('other', streamDoc('other', 2, 1));
    await expect(migrateStreams({ from, to, streams: ['clicks'], force: true })).rejects.toThrow(/id 2, which stream other already holds/);
    await expect(migrateStreams({ from, to, streams: ['nope'] })).rejects.toThrow(/Stream nope/);
    await from.saveStream('broken', '{"name":"broken","id":"9"}');
    await expect(migrateStreams({ from, to, streams: ['broken'] })).rejects.toThrow('stream document for broken does not match its schema');
  });

  it('keeps the target iterator secret when the target already serves streams', async () => {
    const from = await sourceWithTwoStreams();
    const to = await levelStore();
    await to.saveStream('other', streamDoc('other', 5, 1));
    await to.putSetting('iterator-secret', 'dGFyZ2V0');
    await to.putSetting('next-stream-id', '6');
    const summary = await migrateStreams({ from, to, streams: ['orders'] });
    expect(summary.iteratorSecretCopied).toBe(false);
    expect(await to.getSetting('iterator-secret')).toBe('dGFyZ2V0');
    expect(await to.getSetting('next-stream-id')).toBe('6');
  });
});
