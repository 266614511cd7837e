import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { ProgressBar, formatDuration, renderProgress } from './progress-bar.js';

describe('renderProgress', () => {
  it('draws the bar, percent, counts, rate and ETA', () => {
    expect(renderProgress({ label: 'replay', done: 50, total: 200, unit: 'count', noun: 'records', elapsedMs: 5000, estimated: true })).toBe(
      'replay [######------------------]  25% 50/~200 records  10/s  ETA 15s',
    );
  });

  it('drops the ETA and the estimate mark when done', () => {
    expect(renderProgress({ label: 'export', done: 4, total: 4, unit: 'count', noun: 'fragments', elapsedMs: 2000, estimated: true })).toBe(
      'export [########################] 100% 4/4 fragments  2.0/s',
    );
  });

  it('shows a count and rate only when the total is unknown, with bytes in binary units', () => {
    expect(renderProgress({ label: 'clip', done: 3 * 1024 * 1024, unit: 'bytes', elapsedMs: 3000 })).toBe('clip 3.0 MiB  1.0 MiB/s  3s');
  });

  it('formats durations in s, m and h', () => {
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
  });
});

describe('ProgressBar', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, s: { isTTY, columns: 80, write: (c: string | Uint8Array) => (writes.push(String(c)), true) } };
  };

  it('redraws in place on a TTY, at most once per interval', () => {
    const clock = new ManualClock(0);
    const { writes, s } = stream(true);
    const bar = new ProgressBar(s, clock, { label: 'replay', unit: 'count', total: 10 }, 100);
    bar.update({ done: 1 });
    bar.update({ done: 2 });
    clock.advance(150);
    bar.update({ done: 3 });
    bar.finish({ done: 10 });
    expect(writes.filter((w) => w.startsWith('\r'))).toHaveLength(3);
    expect(writes.at(-2)).toContain('100% 10/10');
    expect(writes.at(-1)).toBe('\n');
  });

  it('prints only one summary line when stderr is not a TTY', () => {
    const clock = new ManualClock(0);
    const { writes, s } = stream(false);
    const bar = new ProgressBar(s, clock, { label: 'replay', unit: 'count', total: 10, noun: 'records' });
    for (let i = 1; i <= 10; i++) bar.update({ done: i });
    clock.advance(1000);
    bar.finish();
    expect(writes.join('')).toBe('replay [########################] 100% 10/10 records  10/s\n');
  });
});
