/**
 * Turns the buffer's drop counters into a record for a report stream, so that the server side
 * learns what the device threw away (whenFull policies) and when. Owns only the report's shape;
 * the caller picks the stream, appends the record and remembers what it has reported.
 */
import type { Clock } from '@rivulet/shared';
import type { BufferStats, SourceRecord } from '../pipeline/types.js';

export interface DropReportOptions {
  /** The stream the report goes to, e.g. `_rivulet_dropped`. */
  stream: string;
  /** stats.dropped as of the previous report ({} for none); persist it with putMeta. */
  reported: Readonly<Record<string, number>>;
  /** Default: the report stream's name. */
  partitionKey?: string;
}

/** The JSON body of a drop report. */
export interface DropReportBody {
  /** Records dropped per stream since the previous report (streams with none are left out). */
  dropped: Record<string, number>;
  /** Records dropped per stream since the buffer was created: the next `reported`. */
  totals: Record<string, number>;
  wallMs: number;
}

/**
 * A report of the drops since `reported`, or null when there are none.
 * @example
 * const reported = JSON.parse((await buffer.getMeta('drop-report')) ?? '{}');
 * const stats = buffer.stats();
 * const report = dropReport(stats, clock, { stream: '_rivulet_dropped', reported });
 * if (report) {
 *   await buffer.append([report]);
 *   await buffer.putMeta('drop-report', JSON.stringify(stats.dropped));
 * }
 */
export function dropReport(stats: BufferStats, clock: Clock, options: DropReportOptions): SourceRecord | null {
  const dropped: Record<string, number> = {};
  for (const [stream, total] of Object.entries(stats.dropped)) {
    const before = options.reported[stream] ?? 0;
    // A total below what was reported means the buffer was recreated: all of it is new.
    const since = total >= before ? total - before : total;
    if (since > 0) dropped[stream] = since;
  }
  if (Object.keys(dropped).length === 0) return null;
  const wallMs = clock.now();
  const body: DropReportBody = { dropped, totals: { ...stats.dropped }, wallMs };
  return {
    stream: options.stream,
    partitionKey: options.partitionKey ?? options.stream,
    data: Buffer.from(JSON.stringify(body), 'utf8'),
    wallMs,
    monoMs: clock.monotonicMs(),
  };
}
