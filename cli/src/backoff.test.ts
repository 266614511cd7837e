import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { backoffMs, isThrottle, sleep } from './backoff.js';

describe('backoff', () => {
  it('grows exponentially up to the cap, scaled by the jitter', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(20, () => 1)).toBe(5_000);
    expect(backoffMs(3, () => 0.5)).toBe(400);
  });

  it('sleeps on the injected clock and wakes early on abort', async () => {
    const clock = new ManualClock(0);
    let woke = false;
    const done = sleep(clock, 1000).then(() => (woke = true));
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await done;
    expect(woke).toBe(true);
    const controller = new AbortController();
    const aborted = sleep(clock, 60_000, controller.signal);
    controller.abort();
    await aborted;
  });

  it('recognises throttling errors by name', () => {
    expect(isThrottle({ name: 'ProvisionedThroughputExceededException' })).toBe(true);
    expect(isThrottle({ name: 'ResourceNotFoundException' })).toBe(false);
    expect(isThrottle(null)).toBe(false);
  });
});
