import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { idOf, openBuffer, peekAll, record, removeTempDirs, tempLocation } from './fixtures/buffer-fixtures.js';

afterAll(removeTempDirs);

const keyed = (id: string, key: string, stream = 's') => ({ ...record(stream, id), idempotencyKey: key });

describe('LevelBuffer: idempotency keys', () => {
  it('stores a retransmission (same key, same content) once, and a reused key with new content again', async () => {
    const buffer = await openBuffer({ location: await tempLocation() });
    expect(await buffer.append([keyed('m1', 'c1/1'), keyed('m2', 'c1/2')])).toEqual({ dropped: 0, duplicates: 0 });
    expect(await buffer.append([keyed('m1', 'c1/1')])).toEqual({ dropped: 0, duplicates: 1 });
    // MQTT packet ids are reused once acknowledged: new content under an old id is a new message.
    expect(await buffer.append([keyed('m3', 'c1/1')])).toEqual({ dropped: 0, duplicates: 0 });
    // The same content under another client's id is another message too.
    expect(await buffer.append([keyed('m2', 'c2/2')])).toEqual({ dropped: 0, duplicates: 0 });
    expect((await peekAll(buffer, 's')).map(idOf)).toEqual(['m1', 'm2', 'm3', 'm2']);
    await buffer.close();
  });

  it('dedups a retransmission that arrives while the original is still being written', async () => {
    const buffer = await openBuffer({ location: await tempLocation() });
    const [first, second] = await Promise.all([buffer.append([keyed('m1', 'c/7')]), buffer.append([keyed('m1', 'c/7')])]);
    expect([first, second]).toEqual([
      { dropped: 0, duplicates: 0 },
      { dropped: 0, duplicates: 1 },
    ]);
    expect((await peekAll(buffer, 's')).map(idOf)).toEqual(['m1']);
    await buffer.close();
  });

  it('remembers keys across a reopen, even after the record was uploaded and acked', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await buffer.append([keyed('m1', 'c/1'), keyed('m2', 'c/2')]);
    const [m1] = await peekAll(buffer, 's');
    await buffer.ack('s', [m1!.seq]);
    await buffer.close();
    const again = await openBuffer({ location });
    expect(await again.append([keyed('m1', 'c/1'), keyed('m2', 'c/2'), keyed('m4', 'c/4')])).toEqual({ dropped: 0, duplicates: 2 });
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['m2', 'm4']);
    await again.close();
  });

  it('forgets keys after the window and beyond the entry cap', async () => {
    const clock = new ManualClock();
    const buffer = await openBuffer({ location: await tempLocation(), clock, dedup: { windowMs: 60_000, maxEntries: 2 } });
    await buffer.append([keyed('a', 'k/a')]);
    clock.advance(61_000);
    expect(await buffer.append([keyed('a', 'k/a')])).toEqual({ dropped: 0, duplicates: 0 });
    await buffer.append([keyed('b', 'k/b'), keyed('c', 'k/c')]);
    // Three keys, a cap of two: the oldest ('k/a') is forgotten.
    expect(await buffer.append([keyed('a', 'k/a'), keyed('c', 'k/c')])).toEqual({ dropped: 0, duplicates: 1 });
    expect((await peekAll(buffer, 's')).map(idOf)).toEqual(['a', 'a', 'b', 'c', 'a']);
    await buffer.close();
  });

  it('counts a dropped message as handled, so its retransmission is not stored later', async () => {
    const buffer = await openBuffer({ location: await tempLocation(), maxBytes: 200 });
    await buffer.append([record('s', 'r1'), record('s', 'r2')]);
    expect(await buffer.append([keyed('m1', 'c/1')])).toEqual({ dropped: 1, duplicates: 0 });
    const [r1] = await peekAll(buffer, 's');
    await buffer.ack('s', [r1!.seq]);
    expect(await buffer.append([keyed('m1', 'c/1')])).toEqual({ dropped: 0, duplicates: 1 });
    await buffer.close();
  });

  it('writes an append\'s meta values durably with its records', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await buffer.append([record('s', 'r1')], { meta: { 'report/x': '{"n":1}', gone: null } });
    expect(await buffer.getMeta('report/x')).toBe('{"n":1}');
    await buffer.close();
    const again = await openBuffer({ location });
    expect(await again.getMeta('report/x')).toBe('{"n":1}');
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['r1']);
    await again.close();
  });
});
