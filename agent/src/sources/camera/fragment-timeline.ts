/**
 * Places a camera's fragments in time. Each ffmpeg run is anchored once, at spawn, by a pair of
 * readings (wall ms, monotonic ms); everything after is monotonic arithmetic, so an NTP step in
 * the middle of a run does not bend the run's timeline (a device without an RTC steps its clock
 * minutes or years after boot).
 *
 * The segment list gives times on the run's stream timeline (the first frame is 0). The stream
 * started some time after the spawn (connect, DESCRIBE, probing), and the list says when: a
 * segment is announced when the keyframe that opens the next one arrives, at `end` on the stream
 * timeline. So the first announcement of a run fixes the stream's zero on the monotonic clock,
 * zeroMono = announcedMono - end, never before the spawn; then for each segment
 *   monoMs              = zeroMono + start
 *   producerTimestampMs = anchorWall + (zeroMono - anchorMono) + start
 * Between runs the gap is measured on the monotonic clock (previous fragment's end to this
 * one's start). A wall clock that went back between runs would give timestamps below ones
 * already sent, which Kinesis Video refuses; the run then continues from the previous end plus
 * the measured gap instead. Owns this arithmetic only.
 */

export interface RunAnchor {
  wallMs: number;
  monoMs: number;
}

export interface PlacedFragment {
  producerTimestampMs: number;
  durationMs: number;
  monoMs: number;
  /** Set on the first fragment of a run that follows an earlier fragment. */
  gapBeforeMs?: number;
}

interface RunState {
  anchor: RunAnchor;
  /** Monotonic ms of the stream's 0, once the first announcement fixed it. */
  zeroMono: number | null;
  /** Added to this run's producer timestamps when the wall clock went back since the last run. */
  wallCorrectionMs: number;
  placed: number;
}

/** One run's view of the timeline: places that run's segments. */
export interface RunTimeline {
  /** Places the segment [startSec, endSec] of this run, announced at `announcedMonoMs`. */
  place(startSec: number, endSec: number, announcedMonoMs: number): PlacedFragment;
}

export class FragmentTimeline {
  private lastEndMono: number | null = null;
  private lastEndProducerMs: number | null = null;
  private gapCount = 0;
  private lastGap: number | null = null;

  /** A new ffmpeg run was spawned at this wall and monotonic time. */
  startRun(anchor: RunAnchor): RunTimeline {
    const run: RunState = { anchor, zeroMono: null, wallCorrectionMs: 0, placed: 0 };
    return { place: (startSec, endSec, announcedMonoMs) => this.place(run, startSec, endSec, announcedMonoMs) };
  }

  /** Breaks in the feed between fragments (one per run that produced after an earlier one). */
  gaps(): number {
    return this.gapCount;
  }

  lastGapMs(): number | null {
    return this.lastGap;
  }

  private place(run: RunState, startSec: number, endSec: number, announcedMonoMs: number): PlacedFragment {
    run.zeroMono ??= Math.max(run.anchor.monoMs, announcedMonoMs - endSec * 1000);
    const monoMs = run.zeroMono + startSec * 1000;
    const durationMs = Math.max(0, Math.round((endSec - startSec) * 1000));
    let producerTimestampMs = Math.round(run.anchor.wallMs + (run.zeroMono - run.anchor.monoMs) + startSec * 1000);
    const placed: PlacedFragment = { producerTimestampMs, durationMs, monoMs };
    if (run.placed === 0 && this.lastEndMono !== null) {
      const gapMs = Math.max(0, Math.round(monoMs - this.lastEndMono));
      placed.gapBeforeMs = gapMs;
      this.gapCount++;
      this.lastGap = gapMs;
      if (this.lastEndProducerMs !== null && producerTimestampMs < this.lastEndProducerMs) {
        run.wallCorrectionMs = this.lastEndProducerMs + gapMs - producerTimestampMs;
      }
    }
    producerTimestampMs += run.wallCorrectionMs;
    placed.producerTimestampMs = producerTimestampMs;
    run.placed++;
    this.lastEndMono = monoMs + durationMs;
    this.lastEndProducerMs = producerTimestampMs + durationMs;
    return placed;
  }
}
