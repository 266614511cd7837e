import { describe, expect, it } from 'vitest';
import { FragmentTimeline } from './fragment-timeline.js';

const WALL = 1_800_000_000_000;

describe('fragment timeline', () => {
  it('anchors the stream zero at the first announcement, never before the spawn', () => {
    const t = new FragmentTimeline().startRun({ wallMs: WALL, monoMs: 10_000 });
    // Connected and probing for 1.5 s; the first cut arrives 2.0 s into the stream.
    expect(t.place(0, 2, 13_500)).toEqual({ producerTimestampMs: WALL + 1500, durationMs: 2000, monoMs: 11_500 });
    expect(t.place(2, 4.001, 15_600)).toEqual({ producerTimestampMs: WALL + 3500, durationMs: 2001, monoMs: 13_500 });
    const early = new FragmentTimeline().startRun({ wallMs: WALL, monoMs: 10_000 });
    expect(early.place(0, 2, 11_000).monoMs).toBe(10_000);
  });

  it('does not move when the wall clock steps during a run', () => {
    const t = new FragmentTimeline().startRun({ wallMs: WALL, monoMs: 0 });
    const first = t.place(0, 2, 2000);
    // NTP steps the wall clock an hour forward here: nothing in the run reads it again.
    const second = t.place(2, 4, 4000);
    expect(second.producerTimestampMs - first.producerTimestampMs).toBe(2000);
  });

  it('measures the gap across a restart on the monotonic clock and marks the next fragment', () => {
    const t = new FragmentTimeline();
    let r = t.startRun({ wallMs: WALL, monoMs: 0 });
    r.place(0, 2, 2000);
    r.place(2, 3, 3000); // the camera went away 3 s in
    expect(t.gaps()).toBe(0);
    r = t.startRun({ wallMs: WALL + 4000, monoMs: 4000 }); // ffmpeg restarted
    const after = r.place(0, 2, 7000); // stream zero at 5000
    expect(after).toEqual({ producerTimestampMs: WALL + 5000, durationMs: 2000, monoMs: 5000, gapBeforeMs: 2000 });
    expect(r.place(2, 4, 9000).gapBeforeMs).toBeUndefined();
    expect(t.gaps()).toBe(1);
    expect(t.lastGapMs()).toBe(2000);
  });

  it('counts one gap for a run of failed restarts', () => {
    const t = new FragmentTimeline();
    let r = t.startRun({ wallMs: WALL, monoMs: 0 });
    r.place(0, 2, 2000);
    for (let i = 1; i <= 5; i++) r = t.startRun({ wallMs: WALL + i * 1000, monoMs: i * 1000 }); // refused, refused, ...
    expect(r.place(0, 2, 12_000).gapBeforeMs).toBe(8000);
    expect(t.gaps()).toBe(1);
  });

  it('keeps producer timestamps increasing when the wall clock went back between runs', () => {
    const t = new FragmentTimeline();
    let r = t.startRun({ wallMs: WALL, monoMs: 0 });
    r.place(0, 2, 2000);
    // The clock was stepped back 10 minutes before the next spawn.
    r = t.startRun({ wallMs: WALL + 3000 - 600_000, monoMs: 3000 });
    const a = r.place(0, 2, 5000);
    expect(a.gapBeforeMs).toBe(1000);
    expect(a.producerTimestampMs).toBe(WALL + 2000 + 1000);
    expect(r.place(2, 4, 7000).producerTimestampMs).toBe(WALL + 5000);
  });

  it('follows the wall clock when it went forward between runs (an NTP fix after boot)', () => {
    const t = new FragmentTimeline();
    let r = t.startRun({ wallMs: 1000, monoMs: 0 }); // booted in 1970
    r.place(0, 2, 2000);
    r = t.startRun({ wallMs: WALL, monoMs: 3000 });
    expect(r.place(0, 2, 5000)).toMatchObject({ producerTimestampMs: WALL, gapBeforeMs: 1000 });
  });
});
