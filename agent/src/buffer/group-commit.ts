/**
 * Group commit for the buffer: operations queue into an open WriteBatch, which is written as
 * one LevelDB batch flushIntervalMs after its first operation, or as soon as the write in
 * flight ends. Owns the timing and ordering of writes, not what goes in them (level-buffer.ts).
 * Batches are written strictly one after another, in the order they were opened.
 */
import { RivuletError, type Clock, type TimerHandle } from '@rivulet/shared';

export type BatchOperation = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** The operations of one write and the promise every caller with an operation in it waits on. */
export class WriteBatch {
  /** Settles when the batch has been written (or failed to be). */
  readonly done: Promise<void>;
  private readonly ops: BatchOperation[] = [];
  /** Puts where only the last value matters (counters), by key, so each is written once. */
  private readonly latest = new Map<string, BatchOperation>();
  private syncNeeded = false;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Whoever waits sees the failure; a batch nobody waits on must not crash the process.
    this.done.catch(() => undefined);
  }

  get isEmpty(): boolean {
    return this.ops.length === 0 && this.latest.size === 0;
  }

  /** True when any operation asked for a synced write. */
  get sync(): boolean {
    return this.syncNeeded;
  }

  put(key: Buffer, value: Buffer, sync: boolean): void {
    this.ops.push({ type: 'put', key, value });
    this.syncNeeded ||= sync;
  }

  del(key: Buffer, sync: boolean): void {
    this.ops.push({ type: 'del', key });
    this.syncNeeded ||= sync;
  }

  /** A put that replaces any earlier set() of the same key in this batch. */
  set(key: Buffer, value: Buffer, sync: boolean): void {
    this.latest.set(key.toString('latin1'), { type: 'put', key, value });
    this.syncNeeded ||= sync;
  }

  /** The operations in the order LevelDB must apply them. */
  operations(): BatchOperation[] {
    return [...this.ops, ...this.latest.values()];
  }

  resolve(): void {
    this.settle.resolve();
  }

  reject(error: unknown): void {
    this.settle.reject(error);
  }
}

export interface GroupCommitOptions {
  /** Writes one batch atomically. */
  write: (operations: BatchOperation[], sync: boolean) => Promise<void>;
  clock: Clock;
  /** 0 writes at the end of the current tick instead of on a timer. */
  flushIntervalMs: number;
  /** Called once when a write fails; the committer refuses to write after that. */
  onFailure: (error: RivuletError) => void;
}

export class GroupCommit {
  private openBatch = new WriteBatch();
  private inFlight: WriteBatch | null = null;
  private timer: TimerHandle | null = null;
  private tickQueued = false;
  private failure: RivuletError | null = null;
  private written = 0;

  constructor(private readonly options: GroupCommitOptions) {}

  /** The batch new operations go into. */
  get batch(): WriteBatch {
    return this.openBatch;
  }

  /** Batches written so far. */
  get batchesWritten(): number {
    return this.written;
  }

  /** Resolves when every operation queued so far is durable, scheduling the write it needs. */
  barrier(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.openBatch.isEmpty) {
      this.schedule();
      return this.openBatch.done;
    }
    return this.inFlight ? this.inFlight.done : Promise.resolve();
  }

  /**
   * Like barrier(), but writes the open batch without waiting out the flush interval: for a
   * caller that is alone in its wait (an upload ack), which sharing a write would only delay.
   */
  urgentBarrier(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.openBatch.isEmpty) return this.inFlight ? this.inFlight.done : Promise.resolve();
    const done = this.openBatch.done;
    this.timer?.cancel();
    this.timer = null;
    // With a write in flight the open batch goes as soon as it ends (flush() chains it).
    if (!this.inFlight) void this.flush();
    return done;
  }

  /** Writes everything queued, now; for close() and open-time repairs. */
  async drain(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    while (!this.failure && (this.inFlight || !this.openBatch.isEmpty)) {
      if (this.inFlight) await this.inFlight.done.catch(() => undefined);
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.inFlight || this.timer || this.tickQueued) return;
    if (this.options.flushIntervalMs > 0) {
      this.timer = this.options.clock.setTimer(() => {
        this.timer = null;
        void this.flush();
      }, this.options.flushIntervalMs);
    } else {
      this.tickQueued = true;
      queueMicrotask(() => {
        this.tickQueued = false;
        void this.flush();
      });
    }
  }

  /** Writes the open batch; whatever queued meanwhile has waited long enough and goes next. */
  private async flush(): Promise<void> {
    if (this.failure || this.inFlight || this.openBatch.isEmpty) return;
    const batch = (this.inFlight = this.openBatch);
    this.openBatch = new WriteBatch();
    try {
      await this.options.write(batch.operations(), batch.sync);
      this.written++;
      batch.resolve();
    } catch (cause) {
      this.failure = new RivuletError('AGENT_BUFFER', { message: `buffer write failed: ${String(cause)}` }, { cause });
      batch.reject(this.failure);
      this.openBatch.reject(this.failure);
      this.options.onFailure(this.failure);
    } finally {
      this.inFlight = null;
    }
    if (!this.openBatch.isEmpty) await this.flush();
  }
}
