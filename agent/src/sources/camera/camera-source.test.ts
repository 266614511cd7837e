import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, RivuletError } from '@rivulet/shared';
import type { CameraSourceConfig } from '../../config/schema.js';
import type { AppendResult, SourceRecord } from '../../pipeline/types.js';
import { CameraSource } from './camera-source.js';
import { FakeProcess } from './fixtures/fake-process.js';
import { decodeFragmentRef } from './fragment-ref.js';
import type { ProcessSpawner } from './process-spawner.js';

const WALL = 1_800_000_000_000;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const config = (over: Partial<CameraSourceConfig> = {}): CameraSourceConfig => ({
  type: 'camera',
  name: 'front-door',
  url: 'rtsp://127.0.0.1:8554/cam',
  stream: 'front-door-video',
  transport: 'tcp',
  fragmentSeconds: 2,
  socketTimeoutMs: 5000,
  tags: { site: 'north' },
  retention: { maxHours: 24, maxBytes: 1 << 30, whenFull: 'delete_oldest' },
  keepLocal: false,
  ...over,
});

/**
 * A camera source on a fake ffmpeg: `-version` answers at once; each run is a FakeProcess the test
 * drives, and `segment()` does what ffmpeg does: writes the file, then announces it.
 */
async function setup(opts: { version?: string; onSignal?: (p: FakeProcess, s: NodeJS.Signals) => void; config?: Partial<CameraSourceConfig> } = {}) {
  const root = join(await mkdtemp(join(tmpdir(), 'rivulet-camera-')), 'video');
  dirs.push(join(root, '..'));
  const clock = new ManualClock(WALL);
  const runs: FakeProcess[] = [];
  const spawn: ProcessSpawner = (command, args) => {
    const p = new FakeProcess(command, args, opts.onSignal);
    if (args[0] === '-version') {
      queueMicrotask(() => {
        p.writeStdout(opts.version ?? 'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers\n');
        p.exit({ code: 0, signal: null });
      });
    } else runs.push(p);
    return p;
  };
  const records: SourceRecord[] = [];
  let answer: () => Promise<AppendResult> = async () => ({ dropped: 0, duplicates: 0 });
  const errors: unknown[] = [];
  const source = new CameraSource(
    { config: config(opts.config), fragmentsRoot: root, ffmpegPath: '/usr/bin/ffmpeg', supervisor: { baseDelayMs: 1000 } },
    { clock, random: () => 0.5, spawn, onError: (e) => errors.push(e) },
  );
  const dir = join(root, 'front-door');
  const run = () => runs.at(-1)!;
  /** The output pattern of the current run, with segment n filled in. */
  const partName = (n: number) => {
    const pattern = run().args.at(-1)!;
    return pattern.slice(pattern.lastIndexOf('/') + 1).replace('%06d', String(n).padStart(6, '0'));
  };
  const segment = async (n: number, startSec: number, endSec: number, bytes = 1000) => {
    await writeFile(join(dir, partName(n)), Buffer.alloc(bytes, 7));
    run().writeStdout(`${partName(n)},${startSec.toFixed(6)},${endSec.toFixed(6)}\n`);
  };
  const start = () => source.start(async (recs) => (records.push(...recs), answer()));
  return { root, dir, clock, runs, run, records, errors, source, segment, partName, start, setAnswer: (f: typeof answer) => (answer = f) };
}

describe('camera source', () => {
  it('runs ffmpeg with -c copy into .part segments under <root>/<name>/', async () => {
    const t = await setup();
    await t.start();
    expect(t.runs).toHaveLength(1);
    expect(t.run().command).toBe('/usr/bin/ffmpeg');
    const args = t.run().args;
    expect(args[args.indexOf('-c') + 1]).toBe('copy');
    expect(args[args.indexOf('-i') + 1]).toBe('rtsp://127.0.0.1:8554/cam');
    expect(args[args.indexOf('-timeout') + 1]).toBe('5000000');
    expect(args.at(-1)).toBe(join(t.dir, `${WALL}-0-%06d.mkv.part`));
    expect(t.source.stats()).toMatchObject({ running: true, ffmpegMajor: 5, restarts: 0 });
    await t.source.stop();
  });

  it('hands a fragment on only when ffmpeg announces it, as a FragmentRef keyed by the source', async () => {
    const t = await setup();
    await t.start();
    // ffmpeg is writing segment 0: nothing is announced, nothing is emitted.
    await writeFile(join(t.dir, t.partName(0)), Buffer.alloc(500));
    t.clock.advance(3500);
    await new Promise((r) => setTimeout(r, 20));
    expect(t.records).toHaveLength(0);
    // The keyframe at 2.0 s closes it: announced 3.5 s after the spawn, so the stream began at 1.5 s.
    await t.segment(0, 0, 2, 123_456);
    await vi.waitFor(() => expect(t.records).toHaveLength(1));
    const record = t.records[0]!;
    expect(record).toMatchObject({ stream: 'front-door-video', partitionKey: 'front-door', wallMs: WALL + 3500, monoMs: 3500 });
    expect(decodeFragmentRef(record.data)).toEqual({
      file: `front-door/${WALL}-0-000000.mkv`,
      producerTimestampMs: WALL + 1500,
      durationMs: 2000,
      bytes: 123_456,
      monoMs: 1500,
      tags: { site: 'north' },
    });
    expect(await readdir(t.dir)).toEqual([`${WALL}-0-000000.mkv`]);
    expect(t.source.stats()).toMatchObject({ fragments: 1, emitted: 1, bytes: 123_456, gaps: 0, errors: 0 });
    await t.source.stop();
  });

  it('deletes .part files a killed ffmpeg left, and keeps fragments waiting for upload', async () => {
    const t = await setup();
    await t.start();
    await t.source.stop();
    await writeFile(join(t.dir, '1700000000000-4-000007.mkv.part'), 'torn');
    await writeFile(join(t.dir, '1700000000000-4-000006.mkv'), 'announced, not uploaded yet');
    const again = await setup();
    const source = new CameraSource(
      { config: config(), fragmentsRoot: t.root, ffmpegPath: 'ffmpeg' },
      { clock: again.clock, random: () => 0, spawn: (c, a) => new FakeProcess(c, a) },
    );
    let started = false;
    const starting = source.start(async () => ({ dropped: 0, duplicates: 0 })).then(() => (started = true));
    // The fake -version never answers: the probe gives up after 10 s.
    while (!started) {
      again.clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    await starting;
    expect(await readdir(t.dir)).toEqual(['1700000000000-4-000006.mkv']);
    expect(source.stats()).toMatchObject({ partialsRemoved: 1, ffmpegMajor: null });
    await source.stop();
  });

  it('restarts ffmpeg after it exits with code 0, and marks the first fragment after the gap', async () => {
    const t = await setup();
    await t.start();
    t.clock.advance(2500);
    await t.segment(0, 0, 2);
    t.clock.advance(1000);
    await t.segment(1, 2, 3); // the camera went away: ffmpeg closes its last segment...
    t.run().writeStderr('[rtsp @ 0x55] Connection reset by peer\n');
    t.run().exit({ code: 0, signal: null }); // ...and exits with 0, as it does
    expect(t.source.stats()).toMatchObject({ running: false, restarts: 0 });
    expect(t.errors[0]).toBeInstanceOf(RivuletError);
    expect(t.source.stats().lastError).toMatch(/ffmpeg exited with code 0 after 3500 ms: \[rtsp @ 0x55\] Connection reset by peer; restarting in 500 ms/);
    t.clock.advance(500);
    expect(t.runs).toHaveLength(2);
    expect(t.run().args.at(-1)).toBe(join(t.dir, `${WALL + 4000}-1-%06d.mkv.part`));
    t.clock.advance(4000); // announced at 8000 mono, 2 s into the stream: it began at 6000
    await t.segment(0, 0, 2);
    await vi.waitFor(() => expect(t.records).toHaveLength(3));
    const refs = t.records.map((r) => decodeFragmentRef(r.data));
    // The last fragment before the break ended at 3500 mono (stream zero 500, plus 3 s).
    expect(refs.map((r) => r.gapBeforeMs)).toEqual([undefined, undefined, 2500]);
    expect(refs[2]!.producerTimestampMs).toBe(WALL + 6000);
    expect(t.source.stats()).toMatchObject({ restarts: 1, gaps: 1, lastGapMs: 2500, fragments: 3 });
    await t.source.stop();
  });

  it('keeps the run timeline when the wall clock steps mid-run', async () => {
    const t = await setup();
    await t.start();
    t.clock.advance(2000);
    await t.segment(0, 0, 2);
    t.clock.jumpWall(3_600_000); // NTP
    t.clock.advance(2000);
    await t.segment(1, 2, 4);
    await vi.waitFor(() => expect(t.records).toHaveLength(2));
    const [a, b] = t.records.map((r) => decodeFragmentRef(r.data));
    expect(b!.producerTimestampMs - a!.producerTimestampMs).toBe(2000);
    await t.source.stop();
  });

  it('deletes the file of a fragment the buffer refuses or fails to store', async () => {
    const t = await setup();
    await t.start();
    t.setAnswer(async () => ({ dropped: 1, duplicates: 0 }));
    await t.segment(0, 0, 2);
    await vi.waitFor(() => expect(t.source.stats().dropped).toBe(1));
    t.setAnswer(async () => {
      throw new RivuletError('AGENT_BUFFER', { message: 'disk full' });
    });
    await t.segment(1, 2, 4);
    await vi.waitFor(() => expect(t.source.stats().errors).toBe(1));
    expect(await readdir(t.dir)).toEqual([]);
    expect(t.source.stats()).toMatchObject({ fragments: 0, lastError: expect.stringMatching(/was not buffered/) });
    await t.source.stop();
  });

  it('on stop, lets ffmpeg finish the segment in progress and buffers it before resolving', async () => {
    let t!: Awaited<ReturnType<typeof setup>>;
    t = await setup({
      onSignal: (p, signal) => {
        if (signal !== 'SIGTERM') return;
        // ffmpeg on SIGTERM: writes the trailer, announces the short last segment, exits 255.
        void t.segment(3, 6, 7.2).then(() => p.exit({ code: 255, signal: null }));
      },
    });
    await t.start();
    t.clock.advance(8000);
    await t.source.stop();
    expect(t.records).toHaveLength(1);
    expect(decodeFragmentRef(t.records[0]!.data)).toMatchObject({ durationMs: 1200, file: `front-door/${WALL}-0-000003.mkv` });
    expect(t.errors).toEqual([]);
    expect(t.runs).toHaveLength(1);
  });

  it('ignores an announced name that is not this run segment, and reports it', async () => {
    const t = await setup();
    await t.start();
    t.run().writeStdout('../../etc/passwd,0.000000,2.000000\n');
    expect(t.source.stats().lastError).toMatch(/not this run/);
    expect(t.records).toHaveLength(0);
    await t.source.stop();
  });

  it('uses -stimeout with ffmpeg 4', async () => {
    const t = await setup({ version: 'ffmpeg version 4.3.6-0+deb11u1+rpt5 Copyright\n', config: { socketTimeoutMs: 3000, transport: 'udp' } });
    await t.start();
    const args = t.run().args;
    expect(args[args.indexOf('-stimeout') + 1]).toBe('3000000');
    expect(args[args.indexOf('-rtsp_transport') + 1]).toBe('udp');
    await t.source.stop();
  });
});
