/**
 * Keeps one ffmpeg process running for a camera. ffmpeg never reconnects by itself: it exits
 * (with code 0 when the camera closes the stream, or after the socket timeout on a frozen one),
 * so every exit not asked for by stop() is followed by a new run after a backoff: exponential,
 * full jitter (a uniform delay in [0, min(cap, base * 2^failures))), so that a fleet whose
 * cameras share a switch does not reconnect in lockstep. A healthy run (one the owner marked
 * healthy, or that lasted healthyAfterMs) resets the failure count.
 *
 * Owns process lifetimes, the backoff and the stderr tail; it does not read the segment list or
 * know what a fragment is (the camera source does). Time comes from the Clock, processes from
 * the spawner, randomness from `random`, so tests drive all three.
 */
import type { Clock, TimerHandle } from '@rivulet/shared';
import type { ProcessExit, ProcessSpawner, SpawnedProcess } from './process-spawner.js';

export interface SupervisorPolicy {
  /** Backoff bound after the first failed run. */
  baseDelayMs: number;
  /** Largest backoff bound. */
  capDelayMs: number;
  /** A run that lasts this long counts as healthy even if nobody said so. */
  healthyAfterMs: number;
  /** How long stop() waits after SIGTERM (ffmpeg then finishes its segment) before SIGKILL. */
  stopTimeoutMs: number;
  /** stderr lines kept for the last-error report. */
  stderrLines: number;
}

export const DEFAULT_SUPERVISOR_POLICY: SupervisorPolicy = {
  baseDelayMs: 500,
  capDelayMs: 30_000,
  healthyAfterMs: 30_000,
  stopTimeoutMs: 5000,
  stderrLines: 8,
};

export interface RunStart {
  /** 0 for the first run, then 1, 2, ... */
  index: number;
  wallMs: number;
  monoMs: number;
}

export interface RunEnd extends RunStart {
  exit: ProcessExit;
  durationMs: number;
  healthy: boolean;
  /** The last stderr lines, oldest first. */
  stderrTail: string[];
  /** When the next run starts, or null after stop(). */
  nextDelayMs: number | null;
}

export interface SupervisorHooks {
  /** The arguments for a run; called right before it is spawned. */
  argsFor(run: RunStart): readonly string[];
  onStart?(run: RunStart): void;
  onStdout(chunk: Buffer, run: RunStart): void;
  onExit?(end: RunEnd): void;
}

export interface SupervisorDeps {
  clock: Clock;
  /** Uniform in [0, 1). */
  random: () => number;
  spawn: ProcessSpawner;
}

export interface SupervisorStats {
  runs: number;
  /** Runs started after an earlier one ended. */
  restarts: number;
  running: boolean;
  /** Unhealthy runs in a row. */
  failures: number;
  /** The backoff being waited out, or null. */
  nextDelayMs: number | null;
}

/** Full jitter: uniform in [0, min(cap, base * 2^failures)). */
export function backoffDelayMs(failures: number, policy: Pick<SupervisorPolicy, 'baseDelayMs' | 'capDelayMs'>, random: () => number): number {
  const bound = Math.min(policy.capDelayMs, policy.baseDelayMs * 2 ** Math.min(failures, 30));
  return Math.floor(random() * bound);
}

export class FfmpegSupervisor {
  private readonly policy: SupervisorPolicy;
  private child: SpawnedProcess | null = null;
  private healthy = false;
  private stopping = false;
  private runs = 0;
  private failures = 0;
  private nextDelayMs: number | null = null;
  private restartTimer: TimerHandle | null = null;
  private stderrTail: string[] = [];
  private stderrPartial = '';
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly command: string,
    private readonly hooks: SupervisorHooks,
    private readonly deps: SupervisorDeps,
    policy: Partial<SupervisorPolicy> = {},
  ) {
    this.policy = { ...DEFAULT_SUPERVISOR_POLICY, ...policy };
  }

  start(): void {
    this.stopping = false;
    if (!this.child && !this.restartTimer) this.spawnRun();
  }

  /** The owner saw the run do its job (a fragment arrived): its end resets the backoff. */
  markHealthy(): void {
    this.healthy = true;
  }

  /** Ends the running process (SIGTERM, then SIGKILL after stopTimeoutMs) and starts no other. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.restartTimer?.cancel();
    this.restartTimer = null;
    this.nextDelayMs = null;
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const killTimer = this.deps.clock.setTimer(() => child.kill('SIGKILL'), this.policy.stopTimeoutMs);
    await this.exited;
    killTimer.cancel();
  }

  stats(): SupervisorStats {
    return { runs: this.runs, restarts: Math.max(0, this.runs - 1), running: this.child !== null, failures: this.failures, nextDelayMs: this.nextDelayMs };
  }

  /** The pid of the running ffmpeg (for tests and the status page), or undefined. */
  pid(): number | undefined {
    return this.child?.pid;
  }

  private spawnRun(): void {
    this.restartTimer = null;
    this.nextDelayMs = null;
    const run: RunStart = { index: this.runs++, wallMs: this.deps.clock.now(), monoMs: this.deps.clock.monotonicMs() };
    this.healthy = false;
    this.stderrTail = [];
    this.stderrPartial = '';
    let resolveExited!: () => void;
    this.exited = new Promise((r) => (resolveExited = r));
    let child: SpawnedProcess;
    try {
      child = this.deps.spawn(this.command, this.hooks.argsFor(run));
    } catch (err) {
      // child_process.spawn throws for some bad arguments instead of emitting 'error'.
      this.onExit(run, { code: null, signal: null, error: err instanceof Error ? err : new Error(String(err)) });
      resolveExited();
      return;
    }
    this.child = child;
    this.hooks.onStart?.(run);
    child.onStdout((chunk) => this.hooks.onStdout(chunk, run));
    child.onStderr((chunk) => this.keepStderr(chunk));
    child.onExit((exit) => {
      this.child = null;
      this.onExit(run, exit);
      resolveExited();
    });
  }

  private onExit(run: RunStart, exit: ProcessExit): void {
    const durationMs = this.deps.clock.monotonicMs() - run.monoMs;
    const healthy = this.healthy || durationMs >= this.policy.healthyAfterMs;
    this.failures = healthy ? 0 : this.failures + 1;
    if (this.stderrPartial.trim() !== '') this.pushStderrLine(this.stderrPartial);
    this.stderrPartial = '';
    let nextDelayMs: number | null = null;
    if (!this.stopping) {
      nextDelayMs = backoffDelayMs(this.failures, this.policy, this.deps.random);
      this.nextDelayMs = nextDelayMs;
      this.restartTimer = this.deps.clock.setTimer(() => this.spawnRun(), nextDelayMs);
    }
    this.hooks.onExit?.({ ...run, exit, durationMs, healthy, stderrTail: [...this.stderrTail], nextDelayMs });
  }

  private keepStderr(chunk: Buffer): void {
    const lines = (this.stderrPartial + chunk.toString('utf8')).split('\n');
    this.stderrPartial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.pushStderrLine(line);
  }

  private pushStderrLine(line: string): void {
    this.stderrTail.push(line.trimEnd().slice(0, 500));
    if (this.stderrTail.length > this.policy.stderrLines) this.stderrTail.shift();
  }
}
