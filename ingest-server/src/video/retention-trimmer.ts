/**
 * The video retention trimmer: on a timer from the injected clock, deletes every stream's
 * fragments (index entries, then files) that arrived more than DataRetentionInHours ago.
 * runOnce() is for tests; failures are logged and retried on the next tick, never thrown.
 */
import type { Clock } from '@rivulet/shared';
import { PeriodicPass } from '../storage/periodic-pass.js';
import type { Logger } from 'pino';
import type { FragmentStore } from './store.js';

export interface RetentionTrimmerDeps {
  clock: Clock;
  store: FragmentStore;
  logger: Logger;
  intervalMs: number;
}

export class VideoRetentionTrimmer {
  private readonly pass: PeriodicPass;

  constructor(private readonly deps: RetentionTrimmerDeps) {
    this.pass = new PeriodicPass(() => this.trimAll(), deps.clock, deps.intervalMs);
  }

  start(): void {
    this.pass.start();
  }

  /** Cancels the timer and waits for the pass in flight (and the one queued behind it). */
  stop(): Promise<void> {
    return this.pass.stop();
  }

  /**
   * One pass over every stream, starting after this call; calls made while a pass runs share
   * one follow-up pass, so ticks that pile up never queue more than one.
   */
  runOnce(): Promise<number> {
    return this.pass.run();
  }

  private async trimAll(): Promise<number> {
    const now = this.deps.clock.now();
    let deleted = 0;
    for (const doc of this.deps.store.streamDocs()) {
      try {
        deleted += await this.deps.store.trimBefore(doc.name, now - doc.dataRetentionInHours * 3_600_000);
      } catch (err) {
        this.deps.logger.error({ err, stream: doc.name }, 'video retention trim failed; will retry');
      }
    }
    if (deleted > 0) this.deps.logger.debug({ deleted }, 'video retention trimmer deleted expired fragments');
    return deleted;
  }
}
