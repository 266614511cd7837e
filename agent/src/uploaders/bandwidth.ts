/**
 * BandwidthLimiter: a token bucket in bytes per second that uploaders await before sending, so a
 * metered or shared uplink is not saturated. It owns the bucket, the FIFO of waiting senders and
 * its one timer. It does not own what is sent, retries (see scheduler.ts) or per-stream shares.
 *
 * Invariants:
 * - The burst is one second's worth of bytes; the bucket starts full.
 * - Waiters are served strictly in arrival order: a small request never overtakes a large one.
 * - A request larger than the burst is let through once the bucket is full and leaves the bucket
 *   in debt, so it cannot deadlock and the long-run rate still holds.
 * - At most one timer is armed, for the head waiter; time is read from the monotonic clock.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Clock, TimerHandle } from '@rivulet/shared';

export const BandwidthConfig = Type.Object({
  bytesPerSecond: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    default: null,
    description: 'Upload rate limit; null or 0 means unlimited',
  }),
});
export type BandwidthConfig = Static<typeof BandwidthConfig>;

export interface BandwidthLimiterDeps {
  clock: Clock;
}

interface Waiter {
  bytes: number;
  resolve: (maySend: boolean) => void;
}

/**
 * @example
 * const limiter = new BandwidthLimiter({ bytesPerSecond: 64 * 1024 }, { clock });
 * if (await limiter.take(body.length)) await send(body);
 */
export class BandwidthLimiter {
  private readonly rate: number | null;
  private tokens: number;
  private lastRefillMonoMs: number;
  private readonly waiters: Waiter[] = [];
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    config: BandwidthConfig,
    private readonly deps: BandwidthLimiterDeps,
  ) {
    this.rate = config.bytesPerSecond ? config.bytesPerSecond : null;
    this.tokens = this.rate ?? 0;
    this.lastRefillMonoMs = deps.clock.monotonicMs();
  }

  get unlimited(): boolean {
    return this.rate === null;
  }

  /** Bytes that could be sent right now without waiting (negative while in debt). */
  available(): number {
    if (this.rate === null) return Number.POSITIVE_INFINITY;
    this.refill(this.rate);
    return this.tokens;
  }

  /** Resolves true when `bytes` may be sent, or false if the limiter was stopped first. */
  take(bytes: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (this.rate === null || bytes <= 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.waiters.push({ bytes, resolve });
      this.serve();
    });
  }

  /** Cancels the timer; waiting take() calls resolve false so senders can give up cleanly. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    for (const w of this.waiters.splice(0)) w.resolve(false);
  }

  private refill(rate: number): void {
    const nowMs = this.deps.clock.monotonicMs();
    const elapsedMs = Math.max(0, nowMs - this.lastRefillMonoMs);
    this.lastRefillMonoMs = nowMs;
    this.tokens = Math.min(rate, this.tokens + (elapsedMs * rate) / 1000);
  }

  /** Grants what the bucket allows from the head of the queue, then arms one timer for the rest. */
  private serve(): void {
    const rate = this.rate;
    if (rate === null || this.stopped) return;
    this.refill(rate);
    for (let head = this.waiters[0]; head; head = this.waiters[0]) {
      // Oversize requests only need a full bucket; the difference becomes debt.
      const needed = Math.min(head.bytes, rate);
      // Tolerate float rounding of the refill so a timer set for exactly enough time suffices.
      if (this.tokens + 1e-6 < needed) break;
      this.tokens -= head.bytes;
      this.waiters.shift();
      head.resolve(true);
    }
    const head = this.waiters[0];
    if (!head || this.timer) return;
    const waitMs = Math.max(1, Math.ceil(((Math.min(head.bytes, rate) - this.tokens) * 1000) / rate));
    this.timer = this.deps.clock.setTimer(() => {
      this.timer = null;
      this.serve();
    }, waitMs);
  }
}
