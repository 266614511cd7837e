import { describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { RetryScheduler, STOPPED, type Verdict } from './scheduler.js';

/** Lets every pending promise continuation run; no time passes on the ManualClock. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const retry = (reason = 'HTTP 503', retryAfterMs?: number): Verdict =>
  retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };

function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Milliseconds until the target's next attempt, read from the status the scheduler reports. */
function waitOf(s: RetryScheduler, clock: ManualClock, target: string): number | null {
  const next = s.state(target).nextAttemptAtMs;
  return next === null ? null : next - clock.now();
}

async function advanceToNext(s: RetryScheduler, clock: ManualClock, target: string): Promise<number> {
  const wait = waitOf(s, clock, target);
  if (wait === null) throw new TypeError(`${target} has no attempt waiting`);
  clock.advance(wait);
  await flush();
  return wait;
}

describe('RetryScheduler', () => {
  it('doubles the backoff bound after each retry and stops growing at the cap', async () => {
    const clock = new ManualClock();
    const s = new RetryScheduler({ clock, random: () => 1 }, { baseMs: 250, capMs: 2000 });
    const attemptsAt: number[] = [];
    void s.schedule('a', async () => (attemptsAt.push(clock.monotonicMs()), retry()));
    await flush();
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) gaps.push(await advanceToNext(s, clock, 'a'));
    expect(gaps).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect(attemptsAt).toEqual([0, 250, 750, 1750, 3750, 5750, 7750]);
    expect(s.state('a')).toMatchObject({ failures: 7, lastError: 'HTTP 503' });
    s.stop();
  });

  it('draws each delay uniformly from [0, bound] using the injected random', async () => {
    const clock = new ManualClock();
    const s = new RetryScheduler({ clock, random: sequence([0, 0.5, 0.25, 0.999]) });
    void s.schedule('a', async () => retry());
    await flush();
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) gaps.push(await advanceToNext(s, clock, 'a'));
    // Bounds are 250, 500, 1000, 2000 with the default base.
    expect(gaps).toEqual([0, 250, 250, 1998]);
    for (let f = 1; f <= 20; f++) expect(s.boundMs(f)).toBe(Math.min(60_000, 250 * 2 ** (f - 1)));
    s.stop();
  });

  it('waits at least the server Retry-After, and longer when the jittered delay is larger', async () => {
    const clock = new ManualClock();
    const random = sequence([0, 1, 0]);
    const s = new RetryScheduler({ clock, random }, { baseMs: 10_000, maxRetryAfterMs: 120_000 });
    const verdicts = [retry('HTTP 429', 5000), retry('HTTP 429', 5000), retry('HTTP 429', 3_600_000)];
    void s.schedule('a', async () => verdicts.shift() ?? retry());
    await flush();
    expect(await advanceToNext(s, clock, 'a')).toBe(5000);
    expect(await advanceToNext(s, clock, 'a')).toBe(20_000);
    // An hour-long Retry-After (say an HTTP-date read against a wrong device clock) is clamped.
    expect(await advanceToNext(s, clock, 'a')).toBe(120_000);
    s.stop();
  });

  it('resets the failure count and backoff when an attempt succeeds', async () => {
    const clock = new ManualClock();
    const s = new RetryScheduler({ clock, random: () => 1 });
    const verdicts: Verdict[] = [retry(), retry(), { kind: 'ok' }, retry()];
    const first = s.schedule('a', async () => verdicts.shift() ?? { kind: 'ok' });
    await flush();
    await advanceToNext(s, clock, 'a');
    expect(s.state('a').failures).toBe(2);
    await advanceToNext(s, clock, 'a');
    expect(await first).toEqual({ kind: 'ok' });
    expect(s.state('a')).toEqual({ failures: 0, nextAttemptAtMs: null, lastError: null });
    void s.schedule('a', async () => verdicts.shift() ?? { kind: 'ok' });
    await flush();
    expect(waitOf(s, clock, 'a')).toBe(250);
    s.stop();
  });

  it('never runs two attempts of one target at once, and keeps their order', async () => {
    const clock = new ManualClock();
    const s = new RetryScheduler({ clock, random: () => 1 });
    const gate = deferred<Verdict>();
    const log: string[] = [];
    let running = 0;
    const attempt = (name: string, result: () => Promise<Verdict>) => async (): Promise<Verdict> => {
      running += 1;
      expect(running).toBe(1);
      log.push(name);
      const v = await result();
      running -= 1;
      return v;
    };
    let firstCalls = 0;
    const first = s.schedule('a', attempt('first', () => (++firstCalls === 1 ? gate.promise : Promise.resolve({ kind: 'ok' }))));
    const second = s.schedule('a', attempt('second', async () => ({ kind: 'ok' })));
    const other = s.schedule('b', async () => (log.push('other'), { kind: 'ok' }));
    await flush();
    expect(log).toEqual(['first', 'other']);
    expect(await other).toEqual({ kind: 'ok' });
    gate.resolve(retry());
    await flush();
    // The second job waits behind the first one's backoff too: per-stream order is kept.
    expect(log).toEqual(['first', 'other']);
    await advanceToNext(s, clock, 'a');
    expect(log).toEqual(['first', 'other', 'first', 'second']);
    expect(await first).toEqual({ kind: 'ok' });
    expect(await second).toEqual({ kind: 'ok' });
  });

  it('ends on an error verdict without retrying, and retries an attempt that throws', async () => {
    const clock = new ManualClock();
    const s = new RetryScheduler({ clock, random: () => 1 });
    let calls = 0;
    const bad = await s.schedule('a', async () => (calls++, { kind: 'error', reason: 'HTTP 400 ValidationException' }));
    expect(bad).toEqual({ kind: 'error', reason: 'HTTP 400 ValidationException' });
    expect(calls).toBe(1);
    expect(s.state('a')).toMatchObject({ failures: 0, nextAttemptAtMs: null, lastError: 'HTTP 400 ValidationException' });

    let throws = 1;
    const thrown = s.schedule('b', async () => {
      if (throws-- > 0) throw new RangeError('socket hang up');
      return { kind: 'ok' };
    });
    await flush();
    expect(s.state('b').lastError).toBe('attempt threw: socket hang up');
    await advanceToNext(s, clock, 'b');
    expect(await thrown).toEqual({ kind: 'ok' });
  });

  it('after N retry verdicts polls the probe with backoff instead of re-running the attempt', async () => {
    const clock = new ManualClock();
    const probeResults = [false, false, true];
    let probes = 0;
    const probe = async (): Promise<boolean> => (probes++, probeResults.shift() ?? true);
    const s = new RetryScheduler({ clock, random: () => 1, probe }, { probeAfterFailures: 3 });
    let attempts = 0;
    const done = s.schedule('a', async () => (++attempts <= 3 ? retry() : { kind: 'ok' }));
    await flush();
    await advanceToNext(s, clock, 'a');
    await advanceToNext(s, clock, 'a');
    expect([attempts, probes]).toEqual([3, 0]);
    // Third failure: the next wake-up probes first; the probe fails, so no upload is made.
    expect(await advanceToNext(s, clock, 'a')).toBe(1000);
    expect([attempts, probes]).toEqual([3, 1]);
    expect(s.state('a')).toMatchObject({ failures: 4, lastError: 'connectivity probe failed' });
    expect(await advanceToNext(s, clock, 'a')).toBe(2000);
    expect([attempts, probes]).toEqual([3, 2]);
    // The probe sees the link up: the attempt runs straight away and succeeds.
    expect(await advanceToNext(s, clock, 'a')).toBe(4000);
    expect([attempts, probes]).toEqual([4, 3]);
    expect(await done).toEqual({ kind: 'ok' });
    expect(s.state('a').failures).toBe(0);
  });

  it('shares one in-flight probe between all gated targets and treats a throwing probe as down', async () => {
    const clock = new ManualClock();
    const pending = deferred<boolean>();
    let probes = 0;
    const probe = (): Promise<boolean> => (probes++, probes === 1 ? pending.promise : Promise.reject(new RangeError('EHOSTUNREACH')));
    const s = new RetryScheduler({ clock, random: () => 0, probe }, { probeAfterFailures: 1 });
    void s.schedule('a', async () => retry());
    void s.schedule('b', async () => retry());
    await flush();
    clock.advance(0);
    await flush();
    expect(probes).toBe(1);
    pending.resolve(false);
    await flush();
    clock.advance(0);
    await flush();
    expect(probes).toBe(2);
    expect(s.state('a')).toMatchObject({ failures: 3, lastError: 'connectivity probe failed' });
    s.stop();
  });

  it('stop() cancels timers and resolves waiting, queued and later schedules with stopped', async () => {
    const clock = new ManualClock();
    const s = new RetryScheduler({ clock, random: () => 1 });
    let attempts = 0;
    const waiting = s.schedule('a', async () => (attempts++, retry()));
    const queued = s.schedule('a', async () => (attempts++, { kind: 'ok' }));
    const inFlight = deferred<Verdict>();
    const busy = s.schedule('b', () => inFlight.promise);
    await flush();
    expect(s.state('a').nextAttemptAtMs).not.toBeNull();
    s.stop();
    expect(await waiting).toEqual(STOPPED);
    expect(await queued).toEqual(STOPPED);
    expect(await busy).toEqual(STOPPED);
    expect(await s.schedule('c', async () => ({ kind: 'ok' }))).toEqual({ kind: 'error', reason: 'stopped' });
    inFlight.resolve({ kind: 'ok' });
    clock.advance(120_000);
    await flush();
    expect(attempts).toBe(1);
    expect(s.state('a').nextAttemptAtMs).toBeNull();
  });
});
