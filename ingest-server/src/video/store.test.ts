import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { formatFragmentNumber } from './fragment-number.js';
import { RETENTION, type VideoStreamDoc } from './model.js';
import { VideoRetentionTrimmer } from './retention-trimmer.js';
import { FragmentStore } from './store.js';

const dirs: string[] = [];
const open: FragmentStore[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newLocation(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-video-store-'));
  dirs.push(dir);
  return join(dir, 'video');
}

async function openStore(location: string): Promise<FragmentStore> {
  const store = new FragmentStore({ location });
  await store.open();
  open.push(store);
  return store;
}

async function closeStore(store: FragmentStore): Promise<void> {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

function streamFields(name: string, retentionHours: number = RETENTION.defaultHours): Omit<VideoStreamDoc, 'id'> {
  return { name, arn: `arn:aws:kinesisvideo:us-east-1:000000000000:stream/${name}/1`, version: 'v1', status: 'ACTIVE', dataRetentionInHours: retentionHours, creationTimeMs: 1, tags: {} };
}

const fragment = (producerMs: number, serverMs = producerMs + 50, text = `mkv@${producerMs}`) => ({ producerTimestampMs: producerMs, serverTimestampMs: serverMs, durationMs: 2000, bytes: Buffer.from(text) });

describe('FragmentStore', () => {
  it('stores fragments as files and hands out increasing fixed-width numbers', async () => {
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam-1'));
    const a = await store.append('cam-1', fragment(1000));
    const b = await store.append('cam-1', fragment(3000));
    expect(a.duplicate).toBe(false);
    expect(a.fragmentNumber).toMatch(/^\d{20}$/);
    expect(b.fragmentNumber > a.fragmentNumber).toBe(true);
    expect((await store.read('cam-1', b.fragmentNumber)).toString()).toBe('mkv@3000');
    expect(readdirSync(join(location, 'fragments', String(doc.id))).sort()).toEqual([`${a.fragmentNumber}.mkv`, `${b.fragmentNumber}.mkv`]);
    expect(await store.get('cam-1', a.fragmentNumber)).toEqual({ streamName: 'cam-1', fragmentNumber: a.fragmentNumber, producerTimestampMs: 1000, serverTimestampMs: 1050, durationMs: 2000, sizeBytes: 8 });
    expect((await store.listByNumber('cam-1', null, 10)).map((r) => r.fragmentNumber)).toEqual([a.fragmentNumber, b.fragmentNumber]);
    expect((await store.listByNumber(doc.arn, b.fragmentNumber, 10)).map((r) => r.fragmentNumber)).toEqual([b.fragmentNumber]);
  });

  it('lists by producer or server time, each in its own order, with inclusive bounds', async () => {
    const store = await openStore(newLocation());
    await store.createStream(streamFields('cam'));
    // Producer clock runs backwards relative to arrival here: the two orders differ.
    const first = await store.append('cam', fragment(5000, 100));
    const second = await store.append('cam', fragment(1000, 200));
    const byProducer = await store.listByTime('cam', 'PRODUCER_TIMESTAMP', 1000, 5000);
    expect(byProducer.map((r) => r.fragmentNumber)).toEqual([second.fragmentNumber, first.fragmentNumber]);
    const byServer = await store.listByTime('cam', 'SERVER_TIMESTAMP', 0, 10_000);
    expect(byServer.map((r) => r.fragmentNumber)).toEqual([first.fragmentNumber, second.fragmentNumber]);
    expect(await store.listByTime('cam', 'PRODUCER_TIMESTAMP', 1001, 4999)).toEqual([]);
    const page = await store.listByTimePage('cam', 'PRODUCER_TIMESTAMP', 0, 10_000, { timestampMs: 1000, fragmentNumber: second.fragmentNumber }, 10);
    expect(page.map((r) => r.fragmentNumber)).toEqual([first.fragmentNumber]);
  });

  it('answers a repeated producer timestamp with the stored fragment and stores nothing', async () => {
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam'));
    const original = await store.append('cam', fragment(7000, 7100, 'original'));
    const again = await store.append('cam', fragment(7000, 9000, 'resent'));
    expect(again).toEqual({ fragmentNumber: original.fragmentNumber, duplicate: true });
    const racing = await Promise.all([store.append('cam', fragment(8000)), store.append('cam', fragment(8000)), store.append('cam', fragment(8000))]);
    expect(racing.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(racing.map((r) => r.fragmentNumber)).size).toBe(1);
    expect((await store.read('cam', original.fragmentNumber)).toString()).toBe('original');
    expect(readdirSync(join(location, 'fragments', String(doc.id)))).toHaveLength(2);
    expect(await store.listByNumber('cam', null, 10)).toHaveLength(2);
  });

  it('refuses appends to unknown streams and bad timestamps', async () => {
    const store = await openStore(newLocation());
    await expect(store.append('nope', fragment(1))).rejects.toMatchObject({ awsType: 'ResourceNotFoundException' });
    await store.createStream(streamFields('cam'));
    await expect(store.append('cam', fragment(-5))).rejects.toMatchObject({ awsType: 'InvalidArgumentException' });
    await expect(store.createStream(streamFields('cam'))).rejects.toMatchObject({ awsType: 'ResourceInUseException' });
  });
});

describe('FragmentStore crash tolerance', () => {
  it('removes files that were written but never indexed, and never reuses their numbers', async () => {
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam'));
    const kept = await store.append('cam', fragment(1000));
    await closeStore(store);
    // A crash after the rename and before the index batch, and one in the middle of a write.
    const dir = join(location, 'fragments', String(doc.id));
    const orphan = formatFragmentNumber(41);
    writeFileSync(join(dir, `${orphan}.mkv`), 'never acknowledged');
    writeFileSync(join(dir, `${formatFragmentNumber(42)}.mkv.tmp`), 'half');
    const again = await openStore(location);
    expect(readdirSync(dir)).toEqual([`${kept.fragmentNumber}.mkv`]);
    const next = await again.append('cam', fragment(2000));
    expect(next.fragmentNumber > orphan).toBe(true);
  });

  it('drops index entries whose file is missing, so none dangles', async () => {
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam'));
    const lost = await store.append('cam', fragment(1000));
    const kept = await store.append('cam', fragment(2000));
    await closeStore(store);
    rmSync(join(location, 'fragments', String(doc.id), `${lost.fragmentNumber}.mkv`));
    const again = await openStore(location);
    expect(await again.get('cam', lost.fragmentNumber)).toBeNull();
    expect((await again.listByTime('cam', 'PRODUCER_TIMESTAMP', 0, 10_000)).map((r) => r.fragmentNumber)).toEqual([kept.fragmentNumber]);
    // The producer timestamp is free again: a resend is stored, not answered as a duplicate.
    expect((await again.append('cam', fragment(1000))).duplicate).toBe(false);
  });

  it('finishes a stream delete cut short, and removes directories of unknown streams', async () => {
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam'));
    await store.append('cam', fragment(1000));
    await closeStore(store);
    const db = new ClassicLevel<string, string>(join(location, 'index'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.put(`s!${String(doc.id).padStart(10, '0')}`, JSON.stringify({ ...doc, status: 'DELETING' }));
    await db.close();
    mkdirSync(join(location, 'fragments', '999'));
    writeFileSync(join(location, 'fragments', '999', `${formatFragmentNumber(5)}.mkv`), 'x');
    const again = await openStore(location);
    expect(await again.stream('cam')).toBeNull();
    expect(readdirSync(join(location, 'fragments'))).toEqual([]);
    const fresh = await again.createStream(streamFields('cam'));
    expect(fresh.id).toBeGreaterThan(doc.id);
    expect(await again.listByNumber('cam', null, 10)).toEqual([]);
  });

  it('keeps streams, fragments and the counter across a reopen', async () => {
    const location = newLocation();
    const store = await openStore(location);
    await store.createStream(streamFields('cam'));
    const first = await store.append('cam', fragment(1000));
    await closeStore(store);
    const again = await openStore(location);
    expect(await again.stream('cam')).toMatchObject({ streamName: 'cam', dataRetentionInHours: 24 });
    expect((await again.append('cam', fragment(1000))).duplicate).toBe(true);
    expect((await again.append('cam', fragment(2000))).fragmentNumber > first.fragmentNumber).toBe(true);
  });
});

describe('FragmentStore path safety', () => {
  it('never uses stream names or client input as path components', async () => {
    const location = newLocation();
    const store = await openStore(location);
    for (const name of ['..', '.', '...', '.-_']) {
      await store.createStream(streamFields(name));
      await store.append(name, fragment(1000));
    }
    const entries = readdirSync(join(location, 'fragments'));
    expect(entries.every((e) => /^\d+$/.test(e))).toBe(true);
    expect(readdirSync(join(location, '..')).sort()).toEqual(['video']);
    expect(await store.get('..', '../../../etc/passwd')).toBeNull();
    await expect(store.read('..', '../index/CURRENT')).rejects.toMatchObject({ awsType: 'ResourceNotFoundException' });
    expect(() => store.files.path(1, '../x')).toThrow(/not a fragment number/);
    expect(() => store.files.streamDir(0)).toThrow(/bad stream id/);
  });

  it('deletes a stream with all of its files', async () => {
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam'));
    await store.append('cam', fragment(1000));
    await store.deleteStream(doc.arn);
    expect(existsSync(join(location, 'fragments', String(doc.id)))).toBe(false);
    await expect(store.listByNumber('cam', null, 1)).rejects.toMatchObject({ awsType: 'ResourceNotFoundException' });
  });
});

describe('VideoRetentionTrimmer', () => {
  it('deletes index entries and files older than the retention period, on the clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const location = newLocation();
    const store = await openStore(location);
    const doc = await store.createStream(streamFields('cam', 1));
    const long = await store.createStream(streamFields('archive', RETENTION.maxHours));
    const t0 = clock.now();
    const old = await store.append('cam', fragment(t0, t0));
    await store.append('archive', fragment(t0, t0));
    const trimmer = new VideoRetentionTrimmer({ clock, store, logger: pino({ level: 'silent' }), intervalMs: 60_000 });
    trimmer.start();
    clock.advance(30 * 60_000);
    const recent = await store.append('cam', fragment(clock.now(), clock.now()));
    clock.advance(31 * 60_000);
    await trimmer.stop();
    expect((await store.listByNumber('cam', null, 10)).map((r) => r.fragmentNumber)).toEqual([recent.fragmentNumber]);
    expect(readdirSync(join(location, 'fragments', String(doc.id)))).toEqual([`${recent.fragmentNumber}.mkv`]);
    expect(await store.get('cam', old.fragmentNumber)).toBeNull();
    expect(readdirSync(join(location, 'fragments', String(long.id)))).toHaveLength(1);
    // The producer timestamp of a trimmed fragment no longer counts as a duplicate.
    expect((await store.append('cam', fragment(t0, clock.now()))).duplicate).toBe(false);
    expect(await trimmer.runOnce()).toBe(0);
  });
});
