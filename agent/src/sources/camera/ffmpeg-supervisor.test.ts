import { describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { FakeProcess, fakeSpawner } from './fixtures/fake-process.js';
import { backoffDelayMs, FfmpegSupervisor, type RunEnd, type RunStart } from './ffmpeg-supervisor.js';
import { nodeSpawner, runForOutput } from './process-spawner.js';

function setup(random = () => 0.5, onSignal?: (p: FakeProcess, s: NodeJS.Signals) => void) {
  const clock = new ManualClock(1_800_000_000_000);
  const { spawn, spawned } = fakeSpawner(onSignal);
  const starts: RunStart[] = [];
  const ends: RunEnd[] = [];
  const stdout: string[] = [];
  const supervisor = new FfmpegSupervisor(
    'ffmpeg',
    {
      argsFor: (run) => ['-run', String(run.index)],
      onStart: (run) => starts.push(run),
      onStdout: (chunk, run) => stdout.push(`${run.index}:${chunk.toString()}`),
      onExit: (end) => ends.push(end),
    },
    { clock, random, spawn },
    { baseDelayMs: 1000, capDelayMs: 30_000, healthyAfterMs: 60_000, stopTimeoutMs: 5000 },
  );
  const last = () => spawned.at(-1)!;
  return { clock, spawned, starts, ends, stdout, supervisor, last };
}

describe('ffmpeg supervisor', () => {
  it('restarts ffmpeg after every exit, code 0 included, with the run index in its arguments', () => {
    const { clock, spawned, ends, stdout, supervisor, last } = setup();
    supervisor.start();
    expect(spawned).toHaveLength(1);
    expect(last().args).toEqual(['-run', '0']);
    last().writeStdout('a.mkv,0.000000,2.000000\n');
    clock.advance(3000);
    supervisor.markHealthy();
    last().exit({ code: 0, signal: null }); // the camera closed the stream
    expect(ends[0]).toMatchObject({ index: 0, durationMs: 3000, healthy: true, nextDelayMs: 500 });
    expect(supervisor.stats()).toMatchObject({ running: false, nextDelayMs: 500 });
    clock.advance(499);
    expect(spawned).toHaveLength(1);
    clock.advance(1);
    expect(spawned).toHaveLength(2);
    expect(last().args).toEqual(['-run', '1']);
    last().writeStdout('b.mkv,0.000000,2.000000\n');
    expect(stdout).toEqual(['0:a.mkv,0.000000,2.000000\n', '1:b.mkv,0.000000,2.000000\n']);
    expect(supervisor.stats()).toMatchObject({ runs: 2, restarts: 1, running: true });
  });

  it('backs off exponentially with full jitter while runs fail, up to the cap', () => {
    const { clock, spawned, ends, supervisor, last } = setup(() => 0.999);
    supervisor.start();
    for (let i = 0; i < 8; i++) {
      last().exit({ code: 1, signal: null }); // connection refused, at once
      clock.advance(ends.at(-1)!.nextDelayMs!);
    }
    expect(ends.map((e) => e.nextDelayMs)).toEqual([1998, 3996, 7992, 15_984, 29_970, 29_970, 29_970, 29_970]);
    expect(ends.every((e) => !e.healthy)).toBe(true);
    expect(spawned).toHaveLength(9);
    expect(supervisor.stats().failures).toBe(8);
  });

  it('resets the backoff after a healthy run, marked or long enough', () => {
    const { clock, ends, supervisor, last } = setup(() => 0.999);
    supervisor.start();
    for (let i = 0; i < 3; i++) {
      last().exit({ code: 1, signal: null });
      clock.advance(ends.at(-1)!.nextDelayMs!);
    }
    clock.advance(60_000); // no fragment marked, but a minute of running is healthy
    last().exit({ code: 0, signal: null });
    expect(ends.at(-1)).toMatchObject({ healthy: true, nextDelayMs: 999 });
    expect(supervisor.stats().failures).toBe(0);
  });

  it('jitters across the whole range, never above the bound', () => {
    const policy = { baseDelayMs: 500, capDelayMs: 30_000 };
    expect(backoffDelayMs(0, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(2000);
    expect(backoffDelayMs(100, policy, () => 0.999999)).toBeLessThan(30_000);
  });

  it('keeps the last stderr lines of a run for the error report', () => {
    const { ends, supervisor, last } = setup();
    supervisor.start();
    last().writeStderr('[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found\nrtsp://cam/x: Server returned 404 Not Found');
    last().exit({ code: 1, signal: null });
    expect(ends[0]!.stderrTail).toEqual(['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found', 'rtsp://cam/x: Server returned 404 Not Found']);
  });

  it('stop() sends SIGTERM, waits for the exit, and starts nothing more', async () => {
    const { clock, spawned, ends, supervisor, last } = setup();
    supervisor.start();
    await supervisor.stop();
    expect(last().signals).toEqual(['SIGTERM']);
    expect(ends[0]!.nextDelayMs).toBeNull();
    clock.advance(120_000);
    expect(spawned).toHaveLength(1);
    expect(supervisor.stats().running).toBe(false);
  });

  it('stop() falls back to SIGKILL when ffmpeg ignores SIGTERM', async () => {
    const { clock, supervisor, last } = setup(undefined, (p, signal) => {
      if (signal === 'SIGKILL') p.exit({ code: null, signal });
    });
    supervisor.start();
    const stopped = supervisor.stop();
    clock.advance(4999);
    expect(last().signals).toEqual(['SIGTERM']);
    clock.advance(1);
    await stopped;
    expect(last().signals).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('stop() during a backoff cancels the pending restart', async () => {
    const { clock, spawned, supervisor, last } = setup();
    supervisor.start();
    last().exit({ code: 1, signal: null });
    await supervisor.stop();
    clock.advance(60_000);
    expect(spawned).toHaveLength(1);
  });

  it('reports a binary that cannot be started as a failed run and keeps trying', async () => {
    // The real spawner, a real missing binary.
    const clock = new ManualClock();
    const ends: RunEnd[] = [];
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const supervisor = new FfmpegSupervisor(
      '/nonexistent/ffmpeg',
      { argsFor: () => [], onStdout: () => {}, onExit: (e) => (ends.push(e), done()) },
      { clock, random: () => 0, spawn: nodeSpawner },
    );
    supervisor.start();
    await ended;
    expect(ends[0]!.exit.error?.message).toMatch(/ENOENT/);
    expect(ends[0]!.healthy).toBe(false);
    expect(supervisor.stats()).toMatchObject({ running: false, failures: 1 });
    await supervisor.stop();
  });

  it('the node spawner delivers all stdout before the exit', async () => {
    const { stdout, exit } = await runForOutput(nodeSpawner, '/bin/sh', ['-c', 'for i in 1 2 3; do echo line$i; done; exit 3']);
    expect(stdout).toBe('line1\nline2\nline3\n');
    expect(exit).toEqual({ code: 3, signal: null });
  });
});
