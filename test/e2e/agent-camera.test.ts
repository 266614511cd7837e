/**
 * The camera source end to end, against a real RTSP camera (GStreamer, test/harness/camera.ts),
 * real ffmpeg and a real LevelBuffer: fragments are buffered as FragmentRefs only when complete,
 * each file starts on a keyframe and decodes cleanly, and ffmpeg is restarted, with the gap
 * reported, when the camera vanishes or freezes. One camera and one source run through the
 * scenarios in order, so the whole file takes well under a minute and a half.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@rivulet/shared';
import { LevelBuffer } from '../../agent/src/buffer/level-buffer.js';
import type { CameraSourceConfig } from '../../agent/src/config/schema.js';
import { CameraSource } from '../../agent/src/sources/camera/camera-source.js';
import { decodeFragmentRef, fragmentPath, fragmentsRootFor, type FragmentRef } from '../../agent/src/sources/camera/fragment-ref.js';
import { nodeSpawner, withParentDeathSignal } from '../../agent/src/sources/camera/process-spawner.js';
import { ffprobePath, startCamera, type CameraProcess } from '../harness/camera.js';
import { findExecutable } from '../harness/mosquitto.js';

const execFileAsync = promisify(execFile);
const STREAM = 'yard-video';
const FRAGMENT_SECONDS = 2;
const GOP_MS = 1000; // the camera sends a keyframe every second
const SOCKET_TIMEOUT_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface FragmentCheck {
  firstFrameKey: boolean;
  decodeErrors: string;
  durationMs: number;
  /** Frames a decoder got out of the file, and the packets in it. */
  frames: number;
  packets: number;
}

/** What ffprobe and a full ffmpeg decode say about one fragment file. */
async function checkFragment(path: string): Promise<FragmentCheck> {
  const probe = await execFileAsync(ffprobePath(), [
    '-v', 'error', '-select_streams', 'v', '-count_packets', '-show_frames', '-show_entries', 'frame=key_frame:stream=nb_read_packets:format=duration', '-of', 'json', path,
  ]);
  const info = JSON.parse(probe.stdout) as { frames: Array<{ key_frame: number }>; streams: Array<{ nb_read_packets: string }>; format: { duration: string } };
  const ffmpeg = process.env.FFMPEG_PATH ?? findExecutable('ffmpeg')!;
  const decode = await execFileAsync(ffmpeg, ['-v', 'error', '-i', path, '-f', 'null', '-']);
  return {
    firstFrameKey: info.frames[0]?.key_frame === 1,
    decodeErrors: probe.stderr + decode.stderr,
    durationMs: Number(info.format.duration) * 1000,
    frames: info.frames.length,
    packets: Number(info.streams[0]?.nb_read_packets),
  };
}

/** CPU seconds a process has used so far (user + system), from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('camera source against a real RTSP camera and ffmpeg', () => {
  let camera: CameraProcess;
  let dir: string;
  let buffer: LevelBuffer;
  let source: CameraSource;
  let root: string;
  const seen = new Map<number, FragmentRef>();
  const errors: unknown[] = [];
  const timings: Record<string, number> = {};

  /** Every FragmentRef buffered so far, oldest first. */
  const refs = async (): Promise<FragmentRef[]> => {
    for (const r of await buffer.peek(STREAM, 10_000, 1 << 30)) if (!seen.has(r.seq)) seen.set(r.seq, decodeFragmentRef(r.data));
    return [...seen.entries()].sort(([a], [b]) => a - b).map(([, ref]) => ref);
  };
  /**
   * A fragment closed because the camera vanished can end in the middle of an access unit (the
   * camera died between a keyframe's parameter sets and its slices): every frame but that last
   * one must still decode.
   */
  const expectIntact = async (ref: FragmentRef, opts: { cutShort?: boolean } = {}) => {
    const check = await checkFragment(fragmentPath(root, ref));
    expect(check.firstFrameKey, `${ref.file} starts on a keyframe`).toBe(true);
    if (opts.cutShort) expect(check.frames, `${ref.file}: frames decoded of ${check.packets} packets`).toBeGreaterThanOrEqual(check.packets - 1);
    else expect(check.decodeErrors, `${ref.file} decodes without error`).toBe('');
    expect(Math.abs(check.durationMs - ref.durationMs), `${ref.file}: ref duration ${ref.durationMs} vs file ${check.durationMs}`).toBeLessThanOrEqual(100);
    return check;
  };

  beforeAll(async () => {
    camera = await startCamera({ width: 320, height: 240, fps: 15, keyIntFrames: 15 });
    dir = await mkdtemp(join(tmpdir(), 'rivulet-camera-e2e-'));
    const bufferPath = join(dir, 'buffer');
    buffer = new LevelBuffer({ location: bufferPath, maxBytes: 64 * 1024 * 1024, policies: {}, defaultPolicy: { priority: 5, whenFull: 'drop_oldest' }, clock: systemClock, flushIntervalMs: 5 });
    await buffer.open();
    root = fragmentsRootFor(bufferPath);
    const config: CameraSourceConfig = {
      type: 'camera', name: 'yard', url: camera.url, stream: STREAM, transport: 'tcp',
      fragmentSeconds: FRAGMENT_SECONDS, socketTimeoutMs: SOCKET_TIMEOUT_MS, tags: { site: 'e2e' },
      retention: { maxHours: 24, maxBytes: 1 << 30, whenFull: 'delete_oldest' }, keepLocal: false,
    };
    source = new CameraSource(
      { config, fragmentsRoot: root, ffmpegPath: process.env.FFMPEG_PATH ?? findExecutable('ffmpeg') ?? 'ffmpeg', supervisor: { baseDelayMs: 300, capDelayMs: 2000 } },
      // As main.ts runs it: under setpriv, so an ffmpeg this test leaves behind dies with it.
      { clock: systemClock, random: Math.random, spawn: withParentDeathSignal(nodeSpawner, '/usr/bin/setpriv'), onError: (e) => errors.push(e) },
    );
    await source.start((records, options) => buffer.append(records, options));
  });

  afterAll(async () => {
    await source?.stop();
    await buffer?.close();
    await camera?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    console.log('camera e2e timings (ms):', JSON.stringify(timings));
  });

  it('buffers fragments that start on a keyframe, decode cleanly and last fragmentSeconds ± one GOP', async () => {
    const started = Date.now();
    await until('the first fragment', async () => ((await refs()).length >= 1 ? true : undefined), 15_000);
    timings.firstFragmentAfterStartMs = Date.now() - started;
    const pid = source.stats().ffmpegPid!;
    const cpuBefore = await cpuSeconds(pid);
    const t0 = Date.now();
    const all = await until('four fragments', async () => {
      const r = await refs();
      return r.length >= 4 ? r : undefined;
    }, 15_000);
    timings.ffmpegCpuPercentOfCore = Math.round(((await cpuSeconds(pid)) - cpuBefore) / ((Date.now() - t0) / 1000) * 1000) / 10;
    for (const ref of all) {
      const check = await expectIntact(ref);
      expect(check.durationMs).toBeGreaterThanOrEqual(FRAGMENT_SECONDS * 1000 - GOP_MS);
      expect(check.durationMs).toBeLessThanOrEqual(FRAGMENT_SECONDS * 1000 + GOP_MS);
      expect(ref).toMatchObject({ tags: { site: 'e2e' } });
      expect(ref.gapBeforeMs).toBeUndefined();
    }
    timings.fragmentDurationsMs = Math.max(...all.map((r) => r.durationMs));
    // Back to back on the producer timeline, and close to now on the wall clock.
    for (let i = 1; i < all.length; i++) {
      expect(Math.abs(all[i]!.producerTimestampMs - (all[i - 1]!.producerTimestampMs + all[i - 1]!.durationMs))).toBeLessThanOrEqual(2);
    }
    const last = all.at(-1)!;
    expect(Math.abs(Date.now() - (last.producerTimestampMs + last.durationMs))).toBeLessThan(FRAGMENT_SECONDS * 1000 + 1500);
    expect(source.stats()).toMatchObject({ restarts: 0, gaps: 0, errors: 0 });
    console.log('fragment durations (ms):', all.map((r) => r.durationMs).join(', '));
  });

  it('restarts ffmpeg when the camera vanishes, reports the gap, and keeps fragments on both sides intact', async () => {
    const before = (await refs()).length;
    const killedAt = Date.now();
    await camera.kill();
    // ffmpeg sees the reset, finishes its last segment and exits (code 0): that ends a run.
    await until('ffmpeg to notice', () => (source.stats().restarts >= 1 || !source.stats().running ? true : undefined), 10_000);
    timings.killToFfmpegExitMs = Date.now() - killedAt;
    await sleep(1500);
    await camera.restart();
    const back = Date.now();
    const after = await until('two fragments after the gap', async () => {
      const r = await refs();
      const gapAt = r.findIndex((f) => f.gapBeforeMs !== undefined);
      return gapAt >= 0 && r.length >= gapAt + 2 ? { r, gapAt } : undefined;
    }, 25_000);
    timings.cameraBackToFirstFragmentMs = Date.now() - back;
    const { r, gapAt } = after;
    const gap = r[gapAt]!;
    timings.killGapMs = gap.gapBeforeMs!;
    expect(gapAt).toBeGreaterThanOrEqual(before); // the segment cut short by the kill may come first
    expect(gap.gapBeforeMs!).toBeGreaterThan(1500);
    expect(gap.gapBeforeMs!).toBeLessThan(20_000);
    // The gap is the real break: the next fragment starts that long after the previous one ended.
    const prev = r[gapAt - 1]!;
    expect(Math.abs(gap.producerTimestampMs - (prev.producerTimestampMs + prev.durationMs) - gap.gapBeforeMs!)).toBeLessThanOrEqual(5);
    for (const ref of r.slice(before - 1)) await expectIntact(ref, { cutShort: r.indexOf(ref) === gapAt - 1 });
    const stats = source.stats();
    expect(stats.restarts).toBeGreaterThanOrEqual(1);
    expect(stats).toMatchObject({ gaps: 1, lastGapMs: gap.gapBeforeMs });
    expect(stats.lastError).toMatch(/ffmpeg exited with code/);
  });

  it('detects a frozen camera through the socket timeout and restarts ffmpeg', async () => {
    const restartsBefore = source.stats().restarts;
    const pidBefore = source.stats().ffmpegPid;
    const frozenAt = Date.now();
    camera.freeze();
    await until('ffmpeg to give up on the frozen camera', () => (source.stats().restarts > restartsBefore || source.stats().ffmpegPid !== pidBefore ? true : undefined), 15_000);
    timings.freezeToFfmpegExitMs = Date.now() - frozenAt;
    expect(timings.freezeToFfmpegExitMs).toBeGreaterThanOrEqual(SOCKET_TIMEOUT_MS - 500);
    expect(source.stats().lastError).toMatch(/timed out/i);
    const before = (await refs()).length;
    camera.resume();
    const resumedAt = Date.now();
    const r = await until('a fragment after the freeze', async () => {
      const all = await refs();
      return all.slice(before).some((f) => f.gapBeforeMs !== undefined) && all.length >= before + 2 ? all : undefined;
    }, 25_000);
    timings.resumeToFirstFragmentMs = Date.now() - resumedAt;
    timings.freezeGapMs = source.stats().lastGapMs!;
    expect(source.stats().gaps).toBe(2);
    const gapAt = r.findIndex((f, i) => i >= before && f.gapBeforeMs !== undefined);
    for (const ref of r.slice(before - 1)) await expectIntact(ref, { cutShort: r.indexOf(ref) === gapAt - 1 });
  });

  it('on stop, ffmpeg finishes the segment in progress and leaves no partial files', async () => {
    // Stop half-way into a segment, so there is one in progress: wait for a fragment to be
    // announced (a segment just began), then half a fragment more.
    const start = (await refs()).length;
    const before = (await until('a new fragment before stopping', async () => {
      const all = await refs();
      return all.length > start ? all : undefined;
    }, 10_000)).length;
    await sleep((FRAGMENT_SECONDS * 1000) / 2);
    await source.stop();
    const all = await refs();
    expect(all.length).toBe(before + 1);
    await expectIntact(all.at(-1)!);
    const files = await readdir(join(root, 'yard'));
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(files.sort()).toEqual(all.map((r) => r.file.slice('yard/'.length)).sort());
    expect(source.stats()).toMatchObject({ running: false, fragments: all.length });
  });
});
