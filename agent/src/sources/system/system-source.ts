/**
 * The `system` source: samples device health every intervalMs and emits it as one JSON record
 * on the health stream, keyed by device id. A failed sample is counted and logged, never thrown.
 * With a backlog probe, each sample also carries the agent's buffer backlog (`buffer`).
 */
import type { Clock, HealthSample, TimerHandle } from '@rivulet/shared';
import type { Emit, Source, SourceStats } from '../../pipeline/types.js';
import type { HealthSampler } from './sampler.js';

export interface SystemSourceOptions {
  name: string;
  stream: string;
  intervalMs: number;
  deviceId: string;
  clock: Clock;
  sampler: HealthSampler;
  /** The agent buffer's backlog at sample time (app.ts passes the buffer's stats). */
  backlog?: () => NonNullable<HealthSample['buffer']>;
  onError?: (err: unknown) => void;
}

export class SystemSource implements Source {
  readonly name: string;
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private readonly counters: SourceStats = { emitted: 0, errors: 0, lastError: null };

  constructor(private readonly opts: SystemSourceOptions) {
    this.name = opts.name;
  }

  async start(emit: Emit): Promise<void> {
    const tick = () => {
      // One sample at a time: a slow probe skips a tick rather than piling up.
      this.running ??= this.sampleOnce(emit).finally(() => (this.running = null));
    };
    this.timer = this.opts.clock.setInterval(tick, this.opts.intervalMs);
    tick();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    await this.running;
  }

  stats(): SourceStats {
    return { ...this.counters };
  }

  private async sampleOnce(emit: Emit): Promise<void> {
    try {
      const os = await this.opts.sampler.sample(this.opts.deviceId);
      const sample: HealthSample = this.opts.backlog ? { ...os, buffer: this.opts.backlog() } : os;
      await emit([
        { stream: this.opts.stream, partitionKey: this.opts.deviceId, data: Buffer.from(JSON.stringify(sample)), wallMs: sample.wallMs, monoMs: sample.monoMs },
      ]);
      this.counters.emitted++;
    } catch (err) {
      this.counters.errors++;
      this.counters.lastError = err instanceof Error ? err.message : String(err);
      this.opts.onError?.(err);
    }
  }
}
