import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { PeriodicPass } from './periodic-pass.js';

describe('PeriodicPass', () => {
  it('runs one pass at a time, and calls during a pass share one follow-up that starts after it', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    let release!: () => void;
    let n = 0;
    const pass = new PeriodicPass(
      () => {
        started.push(++n);
        return new Promise<number>((resolve) => (release = () => resolve(n)));
      },
      clock,
      1000,
    );
    const first = pass.run();
    const second = pass.run();
    const third = pass.run();
    expect(started).toEqual([1]);
    release();
    expect(await first).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    release();
    expect(await Promise.all([second, third])).toEqual([2, 2]);
  });

  it('runs on the clock once started, and not after stop', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const pass = new PeriodicPass(async () => ++runs, clock, 1000);
    pass.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await new Promise((r) => setImmediate(r));
    }
    expect(runs).toBe(3);
    await pass.stop();
    clock.advance(5000);
    expect(runs).toBe(3);
  });
});
