import { afterAll, describe, expect, it } from 'vitest';
import type { StreamPolicy } from '../pipeline/types.js';
import { idOf, openBuffer, peekAll, record, removeTempDirs, tempLocation } from './fixtures/buffer-fixtures.js';

afterAll(removeTempDirs);

// Every record is 100 key+value bytes, so a 500-byte buffer holds five.
const MAX_BYTES = 500;
const policies: Record<string, StreamPolicy> = {
  newest: { priority: 1, whenFull: 'drop_newest' },
  oldest: { priority: 1, whenFull: 'drop_oldest' },
  blocking: { priority: 1, whenFull: 'block' },
};
const full = (location: string) => openBuffer({ location, maxBytes: MAX_BYTES, policies });
const records = (stream: string, ...ids: string[]) => ids.map((id) => record(stream, id));
/** Lets pending promise callbacks and a LevelDB round trip or two run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('LevelBuffer when full', () => {
  it('drop_newest refuses the new records and says how many', async () => {
    const buffer = await full(await tempLocation());
    expect(await buffer.append(records('newest', 'r1', 'r2', 'r3', 'r4'))).toEqual({ dropped: 0, duplicates: 0 });
    expect(await buffer.append(records('newest', 'r5', 'r6', 'r7'))).toEqual({ dropped: 2, duplicates: 0 });
    expect((await peekAll(buffer, 'newest')).map(idOf)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(buffer.stats()).toMatchObject({ records: 5, bytes: 500, dropped: { newest: 2 } });
    await buffer.close();
  });

  it("drop_oldest deletes the stream's oldest records to make room", async () => {
    const location = await tempLocation();
    const buffer = await full(location);
    await buffer.append(records('oldest', 'r1', 'r2', 'r3', 'r4', 'r5'));
    expect(await buffer.append(records('oldest', 'r6', 'r7'))).toEqual({ dropped: 0, duplicates: 0 });
    expect((await peekAll(buffer, 'oldest')).map(idOf)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(buffer.stats()).toMatchObject({ records: 5, bytes: 500, dropped: { oldest: 2 } });
    await buffer.close();
    const again = await full(location);
    expect(again.stats()).toMatchObject({ records: 5, bytes: 500, oldestWallMs: 1_700_000_000_000 });
    expect((await peekAll(again, 'oldest')).map(idOf)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    await again.close();
  });

  it('drop_oldest touches only its own stream, and drops the new record when that cannot make room', async () => {
    const buffer = await full(await tempLocation());
    await buffer.append([...records('newest', 'n1', 'n2', 'n3', 'n4'), record('oldest', 'o1')]);
    // 300 bytes, but the stream holds only 100 and the others are not its to drop.
    expect(await buffer.append([record('oldest', 'big', { bytes: 300 })])).toEqual({ dropped: 1, duplicates: 0 });
    expect(await buffer.append(records('oldest', 'o2'))).toEqual({ dropped: 0, duplicates: 0 });
    expect((await peekAll(buffer, 'oldest')).map(idOf)).toEqual(['o2']);
    expect((await peekAll(buffer, 'newest')).map(idOf)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(buffer.stats().dropped).toEqual({ oldest: 2 });
    await buffer.close();
  });

  it('block waits, without writing, until an ack frees room, and keeps the stream in order', async () => {
    const buffer = await full(await tempLocation());
    await buffer.append(records('blocking', 'r1', 'r2', 'r3', 'r4', 'r5'));
    const done: string[] = [];
    const first = buffer.append(records('blocking', 'r6')).then((r) => done.push('r6') && r);
    const second = buffer.append(records('blocking', 'r7')).then((r) => done.push('r7') && r);
    const writesBefore = buffer.batchesWritten;
    await settle();
    expect(done).toEqual([]);
    expect(buffer.batchesWritten).toBe(writesBefore);
    // Other streams keep their own policy meanwhile.
    expect(await buffer.append(records('newest', 'n1'))).toEqual({ dropped: 1, duplicates: 0 });
    const [r1, r2] = await peekAll(buffer, 'blocking');
    await buffer.ack('blocking', [r1!.seq]);
    expect(await first).toEqual({ dropped: 0, duplicates: 0 });
    await settle();
    expect(done).toEqual(['r6']);
    await buffer.ack('blocking', [r2!.seq]);
    expect(await second).toEqual({ dropped: 0, duplicates: 0 });
    expect((await peekAll(buffer, 'blocking')).map(idOf)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(buffer.stats().dropped).toEqual({ newest: 1 });
    await buffer.close();
  });

  it('block drops a record larger than the whole buffer instead of waiting forever', async () => {
    const buffer = await full(await tempLocation());
    expect(await buffer.append([record('blocking', 'huge', { bytes: MAX_BYTES + 1 })])).toEqual({ dropped: 1, duplicates: 0 });
    expect(buffer.stats().dropped).toEqual({ blocking: 1 });
    await buffer.close();
  });

  it('close rejects an append still waiting for room, after writing what was admitted', async () => {
    const location = await tempLocation();
    const buffer = await full(location);
    await buffer.append(records('blocking', 'r1', 'r2', 'r3', 'r4'));
    const waiting = buffer.append(records('blocking', 'r5', 'r6'));
    const refused = expect(waiting).rejects.toThrow(/closed while an append waited/);
    await settle();
    await buffer.close();
    await refused;
    const again = await full(location);
    expect((await peekAll(again, 'blocking')).map(idOf)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    await again.close();
  });

  it('keeps the drop counts across reopens and adds to them', async () => {
    const location = await tempLocation();
    const buffer = await full(location);
    await buffer.append(records('oldest', 'o1', 'o2', 'o3', 'o4', 'o5', 'o6'));
    await buffer.append(records('newest', 'n1', 'n2'));
    expect(buffer.stats().dropped).toEqual({ oldest: 1, newest: 2 });
    await buffer.close();
    const again = await full(location);
    expect(again.stats().dropped).toEqual({ oldest: 1, newest: 2 });
    await again.append(records('newest', 'n3'));
    await again.close();
    const third = await full(location);
    expect(third.stats().dropped).toEqual({ oldest: 1, newest: 3 });
    await third.close();
  });
});
