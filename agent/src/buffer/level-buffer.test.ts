import { afterAll, describe, expect, it } from 'vitest';
import { idOf, openBuffer, peekAll, record, removeTempDirs, tempLocation } from './fixtures/buffer-fixtures.js';

afterAll(removeTempDirs);

describe('LevelBuffer: append, peek and ack', () => {
  it('peekNewest returns the newest unsent record of a stream, skipping acked ones', async () => {
    const buffer = await openBuffer({ location: await tempLocation() });
    expect(await buffer.peekNewest('s')).toBeNull();
    await buffer.append(['r1', 'r2', 'r3'].map((id) => record('s', id)));
    await buffer.append([record('other', 'o1')]);
    const newest = await buffer.peekNewest('s');
    expect(newest && idOf(newest)).toBe('r3');
    await buffer.ack('s', [newest!.seq]);
    const next = await buffer.peekNewest('s');
    expect(next && idOf(next)).toBe('r2');
    await buffer.close();
  });

  it('returns appended records per stream in append order, with every field intact', async () => {
    const buffer = await openBuffer({ location: await tempLocation() });
    await buffer.append([record('a', 'a1', { wallMs: 10, monoMs: 1 }), record('b', 'b1'), record('a', 'a2', { wallMs: 20, monoMs: 2 })]);
    await buffer.append([record('a', 'a3')]);
    const peeked = await peekAll(buffer, 'a');
    expect(peeked.map(idOf)).toEqual(['a1', 'a2', 'a3']);
    expect(peeked[0]).toMatchObject({ stream: 'a', partitionKey: 'k', wallMs: 10, monoMs: 1 });
    expect(peeked.map((r) => r.seq)).toEqual([1, 3, 4]);
    expect((await peekAll(buffer, 'b')).map(idOf)).toEqual(['b1']);
    expect(await peekAll(buffer, 'nothing-here')).toEqual([]);
    await buffer.close();
  });

  it('stops peeking at maxRecords or maxBytes, but always returns at least one record', async () => {
    const buffer = await openBuffer({ location: await tempLocation() });
    await buffer.append(['r1', 'r2', 'r3', 'r4'].map((id) => record('s', id)));
    expect((await buffer.peek('s', 2, 1 << 20)).map(idOf)).toEqual(['r1', 'r2']);
    // Each record is 'k' plus 69 data bytes = 70 Kinesis bytes.
    expect((await buffer.peek('s', 10, 150)).map(idOf)).toEqual(['r1', 'r2']);
    expect((await buffer.peek('s', 10, 10)).map(idOf)).toEqual(['r1']);
    await buffer.close();
  });

  it('never peeks acked records, and the acks survive a reopen', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await buffer.append(['r1', 'r2', 'r3', 'r4'].map((id) => record('s', id)));
    const [r1, r2, r3] = await peekAll(buffer, 's');
    // The peek starts reading before the ack's deletes reach the disk: it must skip them anyway.
    const peeking = peekAll(buffer, 's');
    const acked = buffer.ack('s', [r3!.seq, r1!.seq]);
    expect((await peeking).map(idOf)).toEqual(['r2', 'r4']);
    await acked;
    expect((await peekAll(buffer, 's')).map(idOf)).toEqual(['r2', 'r4']);
    await buffer.ack('s', [r1!.seq, 999]);
    await buffer.close();
    const again = await openBuffer({ location });
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['r2', 'r4']);
    expect((await peekAll(again, 's'))[0]?.seq).toBe(r2!.seq);
    await again.close();
  });

  it('orders by seq, never by wall time: a wall clock stepped back a day changes nothing', async () => {
    const buffer = await openBuffer({ location: await tempLocation() });
    const dayMs = 86_400_000;
    const t0 = 1_700_000_000_000;
    await buffer.append([record('s', 'before-jump', { wallMs: t0, monoMs: 100 })]);
    await buffer.append([record('s', 'after-jump', { wallMs: t0 - dayMs, monoMs: 200 })]);
    await buffer.append([record('s', 'later', { wallMs: t0 - dayMs + 1, monoMs: 300 })]);
    const peeked = await peekAll(buffer, 's');
    expect(peeked.map(idOf)).toEqual(['before-jump', 'after-jump', 'later']);
    expect(peeked.map((r) => r.wallMs)).toEqual([t0, t0 - dayMs, t0 - dayMs + 1]);
    // The oldest unsent record is the first appended, whatever its wall time says.
    expect(buffer.stats().oldestWallMs).toBe(t0);
    await buffer.close();
  });
});

describe('LevelBuffer: priorities, stats and meta', () => {
  it('lists streams holding records, lowest priority number first, ties by name', async () => {
    const buffer = await openBuffer({
      location: await tempLocation(),
      policies: { alerts: { priority: 0, whenFull: 'block' }, video: { priority: 9, whenFull: 'drop_oldest' } },
      defaultPolicy: { priority: 5, whenFull: 'drop_newest' },
    });
    expect(buffer.pendingStreams()).toEqual([]);
    await buffer.append([record('video', 'v'), record('zeta', 'z'), record('beta', 'b'), record('alerts', 'a')]);
    expect(buffer.pendingStreams()).toEqual(['alerts', 'beta', 'zeta', 'video']);
    const [alert] = await peekAll(buffer, 'alerts');
    await buffer.ack('alerts', [alert!.seq]);
    expect(buffer.pendingStreams()).toEqual(['beta', 'zeta', 'video']);
    await buffer.close();
  });

  it('counts records and key+value bytes, and reports the oldest unsent wall time', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location, maxBytes: 10_000 });
    expect(buffer.stats()).toEqual({ records: 0, bytes: 0, maxBytes: 10_000, oldestWallMs: null, dropped: {} });
    await buffer.append([record('a', 'a1', { bytes: 100, wallMs: 5_000 }), record('b', 'b1', { bytes: 250, wallMs: 7_000 })]);
    expect(buffer.stats()).toMatchObject({ records: 2, bytes: 350, oldestWallMs: 5_000 });
    const [a1] = await peekAll(buffer, 'a');
    await buffer.ack('a', [a1!.seq]);
    expect(buffer.stats()).toMatchObject({ records: 1, bytes: 250, oldestWallMs: 7_000 });
    await buffer.close();
    const again = await openBuffer({ location, maxBytes: 10_000 });
    expect(again.stats()).toEqual({ records: 1, bytes: 250, maxBytes: 10_000, oldestWallMs: 7_000, dropped: {} });
    await again.close();
  });

  it('keeps meta values durably, apart from records, and deletes them on null', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    expect(await buffer.getMeta('inflight:a')).toBeNull();
    await buffer.putMeta('inflight:a', '{"seqs":[1,2]}');
    await buffer.putMeta('gone', 'soon');
    await buffer.putMeta('gone', null);
    await buffer.close();
    const again = await openBuffer({ location });
    expect(await again.getMeta('inflight:a')).toBe('{"seqs":[1,2]}');
    expect(await again.getMeta('gone')).toBeNull();
    expect(again.stats().records).toBe(0);
    await again.close();
  });
});

describe('LevelBuffer: lifecycle and damage', () => {
  it('refuses calls before open and after close, and names a bad stream', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await expect(buffer.append([record('', 'x')])).rejects.toThrow(/stream name/);
    await buffer.close();
    await expect(buffer.append([record('s', 'x')])).rejects.toThrow(/closed/);
    await expect(buffer.peek('s', 1, 1)).rejects.toThrow(/closed/);
    await expect(buffer.ack('s', [1])).rejects.toThrow(/closed/);
  });

  it('refuses a directory that another buffer holds open', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await expect(openBuffer({ location })).rejects.toThrow(/in use by another rivulet-agent process/);
    await buffer.close();
  });

  it('gives a stream named like an Object.prototype key the default policy', async () => {
    const buffer = await openBuffer({ location: await tempLocation(), defaultPolicy: { priority: 3, whenFull: 'drop_newest' } });
    await buffer.append([record('__proto__', 'p'), record('constructor', 'c'), record('b', 'b')]);
    expect(buffer.pendingStreams()).toEqual(['__proto__', 'b', 'constructor']);
    await buffer.close();
  });
});
