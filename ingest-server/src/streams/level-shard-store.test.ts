import { appendFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { LevelShardStore, chunkKey } from './level-shard-store.js';
import { runShardStoreContract } from './store.contract.js';

const newLocation = () => join(mkdtempSync(join(tmpdir(), 'rivulet-store-')), 'db');

runShardStoreContract('LevelShardStore', {
  async create() {
    const location = newLocation();
    return { store: new LevelShardStore({ location, segmentBytes: 256 }), reopen: async () => new LevelShardStore({ location, segmentBytes: 256 }) };
  },
});

const body = (text: string) => Buffer.from(text);
const commitOf = (position: number, text: string) => ({ chunks: [{ streamId: 1, shardIndex: 0, firstPosition: position, count: 1, arrivalMs: 1000 + position, body: body(text) }] });

describe('LevelShardStore recovery', () => {
  it('cuts off a torn log tail and keeps every whole commit', async () => {
    const location = newLocation();
    const store = new LevelShardStore({ location });
    await store.open();
    await store.commit(commitOf(0, 'zero'));
    await store.commit(commitOf(1, 'one'));
    await store.close();
    const segments = join(location, 'segments');
    const file = join(segments, readdirSync(segments)[0]!);
    const sizeBefore = statSync(file).size;
    appendFileSync(file, Buffer.from([0x52, 0x56, 0x4c, 0x31, 0, 0, 1, 0, 9, 9])); // a header cut short
    const again = new LevelShardStore({ location });
    await again.open();
    expect(statSync(file).size).toBe(sizeBefore);
    await again.commit(commitOf(2, 'two'));
    const read = await again.readChunks(1, 0, 0, 1 << 20, 10);
    expect(read.map((c) => Buffer.from(c.body).toString())).toEqual(['zero', 'one', 'two']);
    await again.close();
  });

  it('rebuilds index entries LevelDB lost from the log, past the checkpoint', async () => {
    const location = newLocation();
    const store = new LevelShardStore({ location });
    await store.open();
    await store.commit(commitOf(0, 'kept'));
    await store.commit({ ...commitOf(1, 'lost-from-index'), producer: { producerId: 'p1', state: '{"seq":9}' } });
    await store.close();
    // Simulate a power cut that dropped LevelDB's unsynced tail: the second commit's index
    // entries and producer state vanish, and the checkpoint points back at the first commit.
    const raw = new ClassicLevel<Buffer, Buffer>(join(location, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await raw.open();
    await raw.del(chunkKey(1, 0, 1));
    await raw.del(Buffer.concat([Buffer.from([0x04]), Buffer.from('p1')]));
    const checkpointKey = Buffer.concat([Buffer.from([0x05]), Buffer.from('log-checkpoint')]);
    const checkpoint = JSON.parse((await raw.get(checkpointKey))!.toString()) as { segment: number; offset: number };
    await raw.put(checkpointKey, Buffer.from(JSON.stringify({ segment: checkpoint.segment, offset: 0 })));
    await raw.close();
    const again = new LevelShardStore({ location });
    await again.open();
    expect((await again.readChunks(1, 0, 0, 1 << 20, 10)).map((c) => Buffer.from(c.body).toString())).toEqual(['kept', 'lost-from-index']);
    expect(await again.loadProducer('p1')).toBe('{"seq":9}');
    expect(await again.tail(1, 0)).toEqual({ nextPosition: 2, lastArrivalMs: 1001 });
    await again.close();
  });
});

describe('LevelShardStore segments', () => {
  it('deletes sealed segments once every stream in them is past retention or deleted', async () => {
    const location = newLocation();
    const store = new LevelShardStore({ location, segmentBytes: 200 });
    await store.open();
    for (let i = 0; i < 30; i++) await store.commit(commitOf(i, `record-${i}`));
    const files = () => readdirSync(join(location, 'segments')).length;
    const before = files();
    expect(before).toBeGreaterThan(3);
    await store.trimBefore(1, 0, 1015);
    expect(await store.sweep(new Map([[1, 1015]]))).toBeGreaterThan(0);
    expect(files()).toBeLessThan(before);
    expect((await store.readChunks(1, 0, 15, 1 << 20, 100)).map((c) => Buffer.from(c.body).toString())).toEqual(Array.from({ length: 15 }, (_, i) => `record-${i + 15}`));
    await store.sweep(new Map());
    expect(files()).toBe(1); // the active segment stays
    await store.close();
  });
});
