/**
 * Sends the buffer's drop counts to the server as records, on a timer: what each stream's
 * whenFull policy threw away since the last report (buffer/drop-report.ts owns the shape). The
 * report and the totals it covers are written in one durable batch, so a crash never reports
 * the same drops twice or skips some.
 *
 * A report is appended like any record, under its stream's policy: while the buffer is full of
 * other streams' records it may be dropped itself. Its drops are counted too, and the next
 * report that gets in carries the totals.
 */
import type { Clock, TimerHandle } from '@rivulet/shared';
import { dropReport } from '../buffer/drop-report.js';
import type { DurableBuffer, Emit } from './types.js';

export interface DropReporterOptions {
  stream: string;
  intervalMs: number;
  partitionKey: string;
}

export interface DropReporterDeps {
  buffer: DurableBuffer;
  emit: Emit;
  clock: Clock;
  onError: (err: unknown) => void;
}

/** Meta key of the drop totals already reported. */
const REPORTED = 'drop-report/reported';

export class DropReporter {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly opts: DropReporterOptions,
    private readonly deps: DropReporterDeps,
  ) {}

  start(): void {
    this.timer = this.deps.clock.setInterval(() => {
      this.running ??= this.reportOnce()
        .then(() => undefined, this.deps.onError)
        .finally(() => (this.running = null));
    }, this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    await this.running;
  }

  /** Appends one report if anything was dropped since the last; true when it did. */
  async reportOnce(): Promise<boolean> {
    const { buffer, clock, emit } = this.deps;
    const reported = JSON.parse((await buffer.getMeta(REPORTED)) ?? '{}') as Record<string, number>;
    const stats = buffer.stats();
    const report = dropReport(stats, clock, { stream: this.opts.stream, reported, partitionKey: this.opts.partitionKey });
    if (!report) return false;
    await emit([report], { meta: { [REPORTED]: JSON.stringify(stats.dropped) } });
    return true;
  }
}
