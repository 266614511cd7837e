import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '@rivulet/shared';
import { BandwidthLimiter } from './bandwidth.js';

/** Lets every pending promise continuation run; no time passes on the ManualClock. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Starts take(bytes) and records when (monotonic ms) it resolved and with what. */
function track(limiter: BandwidthLimiter, clock: ManualClock, bytes: number) {
  const seen: { atMs: number | null; maySend: boolean | null } = { atMs: null, maySend: null };
  void limiter.take(bytes).then((maySend) => {
    seen.atMs = clock.monotonicMs();
    seen.maySend = maySend;
  });
  return seen;
}

async function step(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

describe('BandwidthLimiter', () => {
  it('holds a greedy sender to the configured rate over simulated seconds', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ bytesPerSecond: 1000 }, { clock });
    let sentBytes = 0;
    let running = true;
    const sender = (async () => {
      while (running && (await limiter.take(100))) sentBytes += 100;
    })();
    await flush();
    expect(sentBytes).toBe(1000); // the one-second burst goes at once
    const perSecond: number[] = [];
    for (let s = 0; s < 10; s++) {
      const before = sentBytes;
      for (let ms = 0; ms < 1000; ms += 10) await step(clock, 10);
      perSecond.push(sentBytes - before);
    }
    expect(perSecond).toEqual(Array(10).fill(1000));
    running = false;
    limiter.stop();
    await sender;
  });

  it('serves waiters in arrival order: a small request never overtakes a large one', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ bytesPerSecond: 1000 }, { clock });
    const burst = track(limiter, clock, 1000);
    const large = track(limiter, clock, 800);
    const small = track(limiter, clock, 100);
    await flush();
    expect(burst.atMs).toBe(0);
    await step(clock, 700);
    // 700 bytes are available, enough for `small` and `late`, but both queue behind `large`.
    const late = track(limiter, clock, 50);
    await flush();
    expect([large.atMs, small.atMs, late.atMs]).toEqual([null, null, null]);
    await step(clock, 100);
    expect([large.atMs, small.atMs, late.atMs]).toEqual([800, null, null]);
    await step(clock, 100);
    expect(small).toEqual({ atMs: 900, maySend: true });
    expect(late.atMs).toBeNull();
    await step(clock, 50);
    expect(late.atMs).toBe(950);
  });

  it('lets a request larger than the burst through once the bucket is full, then repays the debt', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ bytesPerSecond: 1000 }, { clock });
    const first = track(limiter, clock, 500);
    const oversize = track(limiter, clock, 3000);
    const after = track(limiter, clock, 500);
    await flush();
    expect(first.atMs).toBe(0);
    await step(clock, 499);
    expect(oversize.atMs).toBeNull();
    await step(clock, 1);
    expect(oversize.atMs).toBe(500);
    expect(limiter.available()).toBe(-2000);
    // 2000 bytes of debt plus 500 for the next request take 2.5 s at 1000 B/s.
    await step(clock, 2499);
    expect(after.atMs).toBeNull();
    await step(clock, 1);
    expect(after.atMs).toBe(3000);
  });

  it('never refills past one second of burst however long it sits idle', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ bytesPerSecond: 1000 }, { clock });
    await limiter.take(1000);
    await step(clock, 60_000);
    expect(limiter.available()).toBe(1000);
  });

  it.each([null, 0])('is unlimited with bytesPerSecond %s: take resolves at once and arms no timer', async (rate) => {
    const clock = new ManualClock();
    let timers = 0;
    const counting: Clock = {
      now: () => clock.now(),
      monotonicMs: () => clock.monotonicMs(),
      setTimer: (fn, ms) => (timers++, clock.setTimer(fn, ms)),
      setInterval: (fn, ms) => (timers++, clock.setInterval(fn, ms)),
    };
    const limiter = new BandwidthLimiter({ bytesPerSecond: rate }, { clock: counting });
    expect(limiter.unlimited).toBe(true);
    const results = await Promise.all([limiter.take(10_000_000), limiter.take(1), limiter.take(10_000_000)]);
    expect(results).toEqual([true, true, true]);
    expect(timers).toBe(0);
  });

  it('stop() resolves waiting takes with false and refuses later ones', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ bytesPerSecond: 1000 }, { clock });
    const burst = track(limiter, clock, 1000);
    const waiting = track(limiter, clock, 500);
    await flush();
    limiter.stop();
    await flush();
    expect(burst.maySend).toBe(true);
    expect(waiting).toEqual({ atMs: 0, maySend: false });
    expect(await limiter.take(1)).toBe(false);
    await step(clock, 10_000);
  });
});
