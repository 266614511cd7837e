/**
 * ApplicationRunner: one running application. It reads the input, decodes records into rows of
 * the source stream, runs the graph, delivers output rows, and checkpoints.
 *
 * Owns the loop and its guarantees:
 * - ROWTIME of a source row is its record's arrival time (never below the last watermark), so
 *   the same records give the same rows, windows and results on every run.
 * - Each batch's outputs are delivered (retried with backoff until they are accepted) before
 *   the read positions that produced them are committed: at-least-once.
 * - State: a snapshot of every operator, taken with the input positions it corresponds to,
 *   every `snapshotIntervalMs`. After a crash the runner restores the snapshot and replays the
 *   input from its positions; output rows are counted per output, and those the last commit
 *   says were already delivered are not sent again. So a kill mid-window neither loses nor
 *   doubles window results (as long as the input's retention still holds the replayed records).
 * Does not own: the application's definition and lifecycle (service.ts), the SQL (graph.ts),
 * storage layout (store.ts), or record formats (record-format.ts).
 */
import type { Logger } from 'pino';
import { RivuletError, type Clock, type TimerHandle } from '@rivulet/shared';
import { SqlRuntimeError } from '../engine/errors.js';
import type { Row, Value } from '../engine/values.js';
import type { DecodeResult } from '../record-format.js';
import { NO_APPLICATION_METRICS, type ApplicationMetrics } from '../metrics.js';
import { ERROR_STREAM } from './error-stream.js';
import type { AppGraph } from './graph.js';
import type { OutputSink } from './outputs.js';
import type { SourcePositions, SourceRecord, StreamInput } from './source.js';
import type { AnalyticsStore, Checkpoint } from './store.js';

export interface RunnerInput {
  /** The in-application stream the input feeds, e.g. SOURCE_SQL_STREAM_001. */
  readonly streamName: string;
  readonly source: StreamInput;
  /** Appends the rows and errors of one record to `out`. */
  readonly decode: (block: Buffer, start: number, end: number, out: DecodeResult) => void;
}

export interface RunnerOutput {
  /** The output's id (OutputId): several outputs may send the same in-application stream. */
  readonly id: string;
  /** The in-application stream it sends (the output's Name). */
  readonly streamName: string;
  readonly sink: OutputSink;
  readonly encode: (values: readonly Value[], rowtime: number) => Buffer;
}

export interface RunnerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: AnalyticsStore;
  readonly pollIntervalMs: number;
  readonly snapshotIntervalMs: number;
  readonly maxRetryDelayMs: number;
  /** Rows in and out, error_stream rows and lag for /metrics; none by default. */
  readonly metrics?: ApplicationMetrics;
}

export class ApplicationRunner {
  private timer: TimerHandle | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private watermarkMs = -Infinity;
  private readonly emitted: Record<string, number> = {};
  private delivered: Record<string, number> = {};
  private readonly pending = new Map<string, Buffer[]>();
  private lastSnapshotMs = -Infinity;
  private lastError: string | null = null;
  private retryDelayMs = 0;
  private readonly metrics: ApplicationMetrics;

  constructor(
    readonly appName: string,
    private readonly graph: AppGraph,
    private readonly input: RunnerInput,
    private readonly outputs: readonly RunnerOutput[],
    private readonly deps: RunnerDeps,
  ) {
    for (const output of outputs) {
      this.emitted[output.id] ??= 0;
      this.pending.set(output.id, []);
      graph.onRow(output.streamName, (row) => this.collect(output, row));
    }
    this.metrics = deps.metrics ?? NO_APPLICATION_METRICS;
    graph.onRow(ERROR_STREAM, () => this.metrics.errors(1));
  }

  /** Resumes from `checkpoint` (restoring the graph's state), or starts fresh when it is null. */
  restore(checkpoint: Checkpoint | null): void {
    if (!checkpoint) return;
    if (checkpoint.snapshot) {
      this.graph.restore(checkpoint.snapshot.graph);
      Object.assign(this.emitted, checkpoint.snapshot.emitted);
      this.watermarkMs = checkpoint.snapshot.watermarkMs ?? -Infinity;
    }
    this.delivered = { ...checkpoint.delivered };
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops after the current step; when its outputs were delivered, leaves a snapshot to resume from. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.loop;
    if (!this.hasPending()) await this.commit(true, true);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.loop = this.step().then(
        (more) => {
          this.lastError = null;
          this.retryDelayMs = 0;
          this.schedule(more ? 0 : this.deps.pollIntervalMs);
        },
        (err: unknown) => {
          this.lastError = (err as Error).message;
          this.retryDelayMs = Math.min(this.deps.maxRetryDelayMs, Math.max(100, this.retryDelayMs * 2));
          this.deps.logger.warn({ err, app: this.appName }, 'analytics application step failed; retrying');
          this.schedule(this.retryDelayMs);
        },
      );
    }, delayMs);
  }

  /** One poll: read, run, deliver, commit. True when the input had more to read at once. */
  async step(): Promise<boolean> {
    // Deliver what an earlier failed step left before reading more: its positions are not committed yet.
    if (this.hasPending()) {
      await this.deliver();
      await this.commit();
    }
    const poll = await this.input.source.poll();
    const decoded: DecodeResult = { rows: [], errors: [] };
    let rows = 0;
    for (const record of poll.records) {
      // A record older than the watermark (its commit was slower than the skew) enters at the watermark.
      feedRecord(this.graph, this.input.streamName, this.input.decode, record, Math.max(record.arrivalMs, this.watermarkMs), decoded);
      rows += decoded.rows.length;
    }
    if (rows > 0) this.metrics.inputRows(rows);
    if (poll.watermarkMs > this.watermarkMs) {
      this.watermarkMs = poll.watermarkMs;
      this.graph.advance(this.watermarkMs);
    }
    const sent = await this.deliver();
    await this.commit(poll.records.length > 0 || sent > 0);
    const last = poll.records[poll.records.length - 1];
    // Lag: how far behind its input the application's output is; 0 once caught up and idle.
    if (last) this.metrics.lagMs(Math.max(0, this.deps.clock.now() - last.arrivalMs));
    else if (!poll.more) this.metrics.lagMs(0);
    return poll.more;
  }

  private collect(output: RunnerOutput, row: Row): void {
    const n = this.emitted[output.id] ?? 0;
    this.emitted[output.id] = n + 1;
    // Replaying after a crash: rows up to what the last commit delivered were sent already.
    if (n < (this.delivered[output.id] ?? 0)) return;
    this.pending.get(output.id)!.push(output.encode(row.values, row.rowtime));
  }

  private hasPending(): boolean {
    for (const list of this.pending.values()) if (list.length > 0) return true;
    return false;
  }

  /** Sends every pending output row; returns how many were sent. */
  private async deliver(): Promise<number> {
    let sent = 0;
    for (const output of this.outputs) {
      const list = this.pending.get(output.id)!;
      if (list.length === 0) continue;
      let refused: readonly Buffer[];
      try {
        refused = await output.sink.send(list);
      } catch (err) {
        throw err instanceof RivuletError ? err : new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message: `output ${output.sink.description}: ${(err as Error).message}` }, { cause: err });
      }
      sent += list.length - refused.length;
      this.metrics.outputRows(list.length - refused.length);
      this.pending.set(output.id, [...refused]);
      if (refused.length > 0) {
        throw new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message: `output ${output.sink.description} refused ${refused.length} records (throttled); they are sent again` });
      }
    }
    this.delivered = { ...this.emitted };
    return sent;
  }

  /**
   * Commits the delivery counts when anything changed, with a full snapshot (state and input
   * positions) when one is due or `force`d (a clean stop).
   */
  private async commit(changed = true, force = false): Promise<void> {
    const now = this.deps.clock.now();
    const snapshotDue = force || now - this.lastSnapshotMs >= this.deps.snapshotIntervalMs;
    if (!changed && !snapshotDue) return;
    const positions: SourcePositions = this.input.source.positions();
    await this.deps.store.saveCheckpoint(this.appName, {
      delivered: this.delivered,
      snapshot: snapshotDue ? { graph: this.graph.snapshot(), positions, emitted: { ...this.emitted }, watermarkMs: Number.isFinite(this.watermarkMs) ? this.watermarkMs : null } : undefined,
    });
    if (snapshotDue) this.lastSnapshotMs = now;
  }
}

/**
 * Feeds one input record into the graph: decodes it (into `scratch`, reused across records),
 * appends APPROXIMATE_ARRIVAL_TIME to each row, inserts the rows at `rowtime`, and writes rows
 * that do not match the schema to error_stream. Shared by the runner and ad-hoc queries.
 */
export function feedRecord(graph: AppGraph, streamName: string, decode: RunnerInput['decode'], record: SourceRecord, rowtime: number, scratch: DecodeResult): void {
  scratch.rows.length = 0;
  scratch.errors.length = 0;
  decode(record.block, record.start, record.end, scratch);
  for (const values of scratch.rows) {
    // The decoder's array is this row's own.
    values.push(record.arrivalMs);
    graph.insert(streamName, { rowtime, values });
  }
  for (const e of scratch.errors) graph.error(new SqlRuntimeError('SchemaMismatch', e.message), { rowtime, values: [] }, null, e.raw);
}
