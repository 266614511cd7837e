/**
 * Background work on data streams, driven by the injected clock:
 * - the retention trimmer deletes, by range, chunks older than each stream's retention period;
 * - the autoscaler splits hot shards of ON_DEMAND streams, measured from accepted writes.
 * Each has runOnce() for tests; failures are logged and retried on the next tick, never thrown.
 */
import type { TimerHandle } from '@rivulet/shared';
import { PeriodicPass } from '../storage/periodic-pass.js';
import type { StreamsDeps } from './deps.js';
import { forgetRecentBefore, type StreamRuntime } from './model.js';
import type { StreamRegistry } from './registry.js';
import type { Resharder } from './resharding.js';

export class RetentionTrimmer {
  private readonly pass: PeriodicPass;

  constructor(
    private readonly deps: StreamsDeps,
    private readonly registry: StreamRegistry,
  ) {
    this.pass = new PeriodicPass(() => this.trimAll(), deps.clock, deps.config.retentionCheckIntervalMs);
  }

  start(): void {
    this.pass.start();
  }

  stop(): Promise<void> {
    return this.pass.stop();
  }

  /**
   * Trims every shard of every stream in a pass that starts after this call (so it sees the
   * clock as it is now); calls made while a pass runs share one follow-up pass.
   */
  runOnce(): Promise<number> {
    return this.pass.run();
  }

  private async trimAll(): Promise<number> {
    // Shared store: a stream another process just created must not look like an orphan to sweep().
    try {
      await this.registry.sync();
    } catch (err) {
      this.deps.logger.error({ err }, 'retention skipped: could not follow stream changes; will retry');
      return 0;
    }
    let deleted = 0;
    const now = this.deps.clock.now();
    const cutoffs = new Map<number, number>();
    for (const stream of this.registry.list()) {
      const cutoff = now - stream.doc.retentionHours * 3_600_000;
      cutoffs.set(stream.doc.id, cutoff);
      for (const shard of stream.shards.values()) {
        try {
          forgetRecentBefore(shard, cutoff);
          deleted += await this.deps.store.trimBefore(stream.doc.id, shard.doc.index, cutoff);
        } catch (err) {
          this.deps.logger.error({ err, stream: stream.doc.name, shard: shard.doc.index }, 'retention trim failed; will retry');
        }
      }
      await this.forgetExpiredShards(stream, cutoff);
    }
    try {
      const segments = await this.deps.store.sweep(cutoffs);
      if (segments > 0) this.deps.logger.info({ segments }, 'retention freed log segments');
    } catch (err) {
      this.deps.logger.error({ err }, 'freeing log segments failed; will retry');
    }
    if (deleted > 0) this.deps.logger.debug({ deleted }, 'retention trimmer deleted expired chunks');
    return deleted;
  }

  /** Kinesis: a closed shard leaves the shard list once it is older than the retention period. */
  private async forgetExpiredShards(stream: StreamRuntime, cutoff: number): Promise<void> {
    const expired = stream.doc.shards.filter((s) => s.closedAtMs !== undefined && s.closedAtMs < cutoff);
    if (expired.length === 0 || stream.updating) return;
    const gone = new Set(expired.map((s) => s.index));
    stream.doc.shards = stream.doc.shards.filter((s) => !gone.has(s.index));
    for (const index of gone) stream.shards.delete(index);
    try {
      await this.registry.save(stream);
    } catch (err) {
      this.deps.logger.error({ err, stream: stream.doc.name }, 'saving the shard list after retention failed; will retry');
    }
  }
}

export class OnDemandAutoscaler {
  private timer: TimerHandle | null = null;
  private lastRunMs: number;

  constructor(
    private readonly deps: StreamsDeps,
    private readonly registry: StreamRegistry,
    private readonly resharder: Resharder,
  ) {
    this.lastRunMs = deps.clock.now();
  }

  start(): void {
    this.timer = this.deps.clock.setInterval(() => void this.runOnce(), this.deps.config.autoscale.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** Splits each ON_DEMAND shard whose measured write rate passed the threshold; returns splits. */
  async runOnce(): Promise<number> {
    const now = this.deps.clock.now();
    const seconds = Math.max(0.001, (now - this.lastRunMs) / 1000);
    this.lastRunMs = now;
    const { thresholdRatio, maxShardsPerStream } = this.deps.config.autoscale;
    const limits = this.deps.config.limits;
    let splits = 0;
    for (const stream of this.registry.list()) {
      const hot = [];
      for (const shard of stream.openShards) {
        const recordsRate = shard.windowRecords / seconds;
        const bytesRate = shard.windowBytes / seconds;
        shard.windowRecords = 0;
        shard.windowBytes = 0;
        if (stream.doc.mode !== 'ON_DEMAND') continue;
        if (recordsRate > thresholdRatio * limits.writeRecordsPerSecond || bytesRate > thresholdRatio * limits.writeBytesPerSecond) hot.push(shard);
      }
      for (const shard of hot) {
        if (stream.openShards.length >= maxShardsPerStream || stream.updating) break;
        if (shard.endHash - shard.startHash < 2n) continue;
        const middle = shard.startHash + (shard.endHash - shard.startHash + 1n) / 2n;
        try {
          await this.resharder.split(stream, `shardId-${shard.doc.index}`, middle);
          splits++;
        } catch (err) {
          this.deps.logger.warn({ err, stream: stream.doc.name, shard: shard.doc.index }, 'on-demand split failed; will retry');
        }
      }
    }
    return splits;
  }
}
