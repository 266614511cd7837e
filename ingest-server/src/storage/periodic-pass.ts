/**
 * A background pass on a timer from the injected clock, run one at a time. A call made while a
 * pass runs shares one follow-up pass, which starts after the current one (so it sees the clock
 * as it is then); ticks that pile up never queue more than one. Owns only this scheduling; the
 * pass does the work and logs its own failures (the retention trimmers of streams and video).
 */
import type { Clock, TimerHandle } from '@rivulet/shared';

export class PeriodicPass {
  private timer: TimerHandle | null = null;
  private running: Promise<number> | null = null;
  private queued: Promise<number> | null = null;

  constructor(
    private readonly pass: () => Promise<number>,
    private readonly clock: Pick<Clock, 'setInterval'>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= this.clock.setInterval(() => void this.run().catch(() => undefined), this.intervalMs);
  }

  /** Cancels the timer and waits for the pass in flight (and the one queued behind it). */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.queued?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  /** One pass that starts after this call; resolves with what the pass returns. */
  run(): Promise<number> {
    if (!this.running) {
      this.running = this.pass().finally(() => (this.running = null));
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => 0)
      .then(() => {
        this.queued = null;
        return this.run();
      });
    return this.queued;
  }
}
