/**
 * A delivery stream's backlog: records accepted and not yet delivered, wherever they wait (the
 * processing queue, the partition buffers, cut batches being stored, waiting or in delivery),
 * and the arrival time of the oldest of them (Firehose's DataFreshness). Read at scrape time,
 * so it is computed from the stream's state rather than counted on the hot path.
 */
import type { BatchDoc } from './model.js';
import type { RawRecord } from './store.js';

export interface Backlog {
  records: number;
  bytes: number;
  /** Arrival time of the oldest accepted, undelivered record; null when nothing waits. */
  oldestArrivalMs: number | null;
}

export function summarizeBacklog(queue: readonly RawRecord[], buffered: Backlog, batches: Iterable<Pick<BatchDoc, 'records' | 'bytes' | 'oldestArrivalMs'>>): Backlog {
  let { records, bytes, oldestArrivalMs: oldest } = buffered;
  const older = (ms: number) => (oldest === null || ms < oldest ? ms : oldest);
  for (const r of queue) {
    records += r.whole ? r.whole.count : 1;
    bytes += r.data.byteLength;
    oldest = older(r.arrivalMs);
  }
  for (const b of batches) {
    records += b.records;
    bytes += b.bytes;
    oldest = older(b.oldestArrivalMs);
  }
  return { records, bytes, oldestArrivalMs: oldest };
}
