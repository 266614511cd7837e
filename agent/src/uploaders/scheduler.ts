/**
 * RetryScheduler: the one owner of backoff for the agent's uploaders (fluent-bit style). An
 * uploader's attempt only reports a Verdict; this module decides when to run it again. It owns
 * per-target ordering (one attempt of a target at a time, FIFO), exponential backoff with full
 * jitter, the Retry-After floor and the connectivity-probe gate. It does not own what an attempt
 * sends, how HTTP maps to verdicts (see http-verdict.ts) or where permanent failures go.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Clock, TimerHandle } from '@rivulet/shared';

/** What one attempt reports. `error` is permanent: the caller drops or dead-letters the batch. */
export type Verdict =
  | { kind: 'ok' }
  | { kind: 'retry'; retryAfterMs?: number; reason: string }
  | { kind: 'error'; reason: string };

/** How schedule() ends: retries are absorbed by the scheduler. */
export type FinalVerdict = Exclude<Verdict, { kind: 'retry' }>;

export const RetryPolicy = Type.Object({
  baseMs: Type.Integer({ minimum: 1, default: 250, description: 'Backoff bound after the first failure' }),
  capMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Largest backoff bound' }),
  probeAfterFailures: Type.Integer({
    minimum: 1,
    default: 3,
    description: 'Consecutive retry verdicts after which attempts wait for the connectivity probe',
  }),
  maxRetryAfterMs: Type.Integer({
    minimum: 0,
    default: 300_000,
    description: 'Clamp on a server Retry-After: an HTTP-date read against a skewed device clock can be years off',
  }),
});
export type RetryPolicy = Static<typeof RetryPolicy>;

export interface RetrySchedulerDeps {
  clock: Clock;
  /** Uniform in [0, 1); Math.random in main.ts, fixed values in tests. */
  random: () => number;
  /** Cheap reachability check (a HEAD, a DNS lookup); true when the link is up. */
  probe?: () => Promise<boolean>;
}

export interface TargetStatus {
  /** Consecutive failures (retry verdicts and failed probes) since the last ok. */
  failures: number;
  /** Wall-clock ms of the next attempt or probe while one is waiting, else null. */
  nextAttemptAtMs: number | null;
  lastError: string | null;
}

export const STOPPED: FinalVerdict = Object.freeze({ kind: 'error', reason: 'stopped' });

interface Job {
  attempt: () => Promise<Verdict>;
  resolve: (v: FinalVerdict) => void;
}

interface Sleep {
  handle: TimerHandle;
  wake: () => void;
  dueMonoMs: number;
}

interface Target {
  failures: number;
  lastError: string | null;
  queue: Job[];
  running: boolean;
  sleep: Sleep | null;
}

/**
 * @example
 * const scheduler = new RetryScheduler({ clock, random: Math.random, probe }, { capMs: 30_000 });
 * const verdict = await scheduler.schedule('camera-events', () => uploader.flush(batch));
 */
export class RetryScheduler {
  private readonly policy: RetryPolicy;
  private readonly targets = new Map<string, Target>();
  private probeInFlight: Promise<boolean> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: RetrySchedulerDeps,
    policy: Partial<RetryPolicy> = {},
  ) {
    this.policy = { ...(Value.Create(RetryPolicy) as RetryPolicy), ...policy };
  }

  /**
   * Runs `attempt` once every earlier job of `target` has finished, and again after each retry
   * verdict (backing off) until it returns ok or error, or stop() is called.
   */
  schedule(target: string, attempt: () => Promise<Verdict>): Promise<FinalVerdict> {
    if (this.stopped) return Promise.resolve(STOPPED);
    const t = this.target(target);
    return new Promise<FinalVerdict>((resolve) => {
      t.queue.push({ attempt, resolve });
      if (!t.running) void this.drain(t);
    });
  }

  state(target: string): TargetStatus {
    const t = this.targets.get(target);
    if (!t) return { failures: 0, nextAttemptAtMs: null, lastError: null };
    const { clock } = this.deps;
    // Timers run on monotonic time; the status page wants a wall time it can print.
    const next = t.sleep ? clock.now() + Math.max(0, t.sleep.dueMonoMs - clock.monotonicMs()) : null;
    return { failures: t.failures, nextAttemptAtMs: next, lastError: t.lastError };
  }

  /** Cancels every timer; pending and queued schedule() calls resolve with STOPPED at once. */
  stop(): void {
    this.stopped = true;
    for (const t of this.targets.values()) {
      t.sleep?.handle.cancel();
      t.sleep?.wake();
      for (const job of t.queue.splice(0)) job.resolve(STOPPED);
    }
  }

  /** The backoff bound for the current failure count: base after the first failure, doubling. */
  boundMs(failures: number): number {
    const { baseMs, capMs } = this.policy;
    return Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
  }

  private target(name: string): Target {
    let t = this.targets.get(name);
    if (!t) {
      t = { failures: 0, lastError: null, queue: [], running: false, sleep: null };
      this.targets.set(name, t);
    }
    return t;
  }

  private async drain(t: Target): Promise<void> {
    t.running = true;
    for (let job = t.queue[0]; job && !this.stopped; job = t.queue[0]) {
      const verdict = await this.run(t, job.attempt);
      t.queue.shift();
      job.resolve(verdict);
    }
    t.running = false;
  }

  private async run(t: Target, attempt: () => Promise<Verdict>): Promise<FinalVerdict> {
    for (;;) {
      if (!(await this.gate(t))) return STOPPED;
      const verdict = await this.attemptSafely(attempt);
      if (this.stopped) return STOPPED;
      if (verdict.kind === 'ok') {
        t.failures = 0;
        t.lastError = null;
        return verdict;
      }
      t.lastError = verdict.reason;
      // An error says nothing about whether the link recovered, so the backoff state stays.
      if (verdict.kind === 'error') return verdict;
      t.failures += 1;
      if (!(await this.backoff(t, verdict.retryAfterMs))) return STOPPED;
    }
  }

  /** While the target has failed often, waits for the probe to see the link up. */
  private async gate(t: Target): Promise<boolean> {
    const { probe } = this.deps;
    if (!probe) return !this.stopped;
    while (!this.stopped && t.failures >= this.policy.probeAfterFailures) {
      if (await this.sharedProbe(probe)) break;
      if (this.stopped) return false;
      t.failures += 1;
      t.lastError = 'connectivity probe failed';
      if (!(await this.backoff(t, undefined))) return false;
    }
    return !this.stopped;
  }

  /** One probe at a time for all targets: a down link costs one probe per interval, not one per stream. */
  private sharedProbe(probe: () => Promise<boolean>): Promise<boolean> {
    if (!this.probeInFlight) {
      // new Promise(...) turns a probe that throws synchronously into a rejection.
      this.probeInFlight = new Promise<boolean>((resolve) => resolve(probe()))
        .then((up) => up === true, () => false)
        .finally(() => {
          this.probeInFlight = null;
        });
    }
    return this.probeInFlight;
  }

  private async attemptSafely(attempt: () => Promise<Verdict>): Promise<Verdict> {
    try {
      return await attempt();
    } catch (err) {
      // An uploader should return a verdict; a throw is kept as retryable so no data is dropped
      // on an unexpected fault, and the reason stays visible on the status page.
      return { kind: 'retry', reason: `attempt threw: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /** Full jitter over the bound, floored by the server's Retry-After. Resolves false when stopped. */
  private backoff(t: Target, retryAfterMs: number | undefined): Promise<boolean> {
    const jittered = this.deps.random() * this.boundMs(t.failures);
    const floor = Math.min(Math.max(0, retryAfterMs ?? 0), this.policy.maxRetryAfterMs);
    const delayMs = Math.max(jittered, floor);
    return new Promise<boolean>((resolve) => {
      if (this.stopped) return resolve(false);
      const wake = (): void => {
        t.sleep = null;
        resolve(!this.stopped);
      };
      const handle = this.deps.clock.setTimer(wake, delayMs);
      t.sleep = { handle, wake, dueMonoMs: this.deps.clock.monotonicMs() + delayMs };
    });
  }
}
