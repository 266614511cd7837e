/**
 * The Clock seam. Domain code on both halves asks a Clock for time and timers instead of
 * calling Date.now() or setTimeout, so tests can drive time by hand (see ManualClock).
 */

/** A cancellable timer handle. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds; never jumps backwards when NTP steps the wall clock. */
  monotonicMs(): number;
  /** Calls fn after delayMs. */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  /** Calls fn every intervalMs until cancelled. */
  setInterval(fn: () => void, intervalMs: number): TimerHandle;
}

/** The real clock. Only main.ts files and test harnesses should construct it. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimer(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, intervalMs) {
    const t = setInterval(fn, intervalMs);
    t.unref?.();
    return { cancel: () => clearInterval(t) };
  },
};

interface PendingTimer {
  at: number;
  fn: () => void;
  everyMs: number | null;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. advance() fires due timers in time order.
 * @example
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * clock.advance(60_000);
 */
export class ManualClock implements Clock {
  private wallMs: number;
  private monoMs = 0;
  private readonly timers: PendingTimer[] = [];

  constructor(startWallMs = 1_700_000_000_000) {
    this.wallMs = startWallMs;
  }

  now(): number {
    return this.wallMs;
  }

  monotonicMs(): number {
    return this.monoMs;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null);
  }

  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    return this.add(fn, intervalMs, intervalMs);
  }

  /** Steps the wall clock alone, as an NTP correction would; monotonic time is unchanged. */
  jumpWall(deltaMs: number): void {
    this.wallMs += deltaMs;
  }

  /** Moves both clocks forward by deltaMs, firing every timer that falls due on the way. */
  advance(deltaMs: number): void {
    const target = this.monoMs + deltaMs;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.wallMs += due.at - this.monoMs;
      this.monoMs = due.at;
      if (due.everyMs === null) due.cancelled = true;
      else due.at += Math.max(1, due.everyMs);
      due.fn();
    }
    this.wallMs += target - this.monoMs;
    this.monoMs = target;
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]?.cancelled) this.timers.splice(i, 1);
  }

  private add(fn: () => void, delayMs: number, everyMs: number | null): TimerHandle {
    const timer: PendingTimer = { at: this.monoMs + Math.max(0, delayMs), fn, everyMs, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
}
