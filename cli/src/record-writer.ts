/**
 * Writes records with PutRecords for `put -` and `replay`: batches within the Kinesis limits and
 * retries the records a batch refused (throttled or failed), with backoff, up to maxAttempts.
 * Owns batching and retries; not where the records come from.
 *
 * Ordering: a batch is finished (all its records accepted) before the next is sent, so records
 * of one key keep their order across batches. Within a batch a retried record lands after the
 * batch's accepted ones, as with any PutRecords producer.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { RivuletError, type Clock } from '@rivulet/shared';
import { backoffMs, isThrottle, sleep } from './backoff.js';

/** Kinesis: PutRecords takes at most 500 records and 5 MiB (data plus partition keys). */
export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;
const DEFAULT_MAX_ATTEMPTS = 10;

export interface WriteEntry {
  Data: Uint8Array;
  PartitionKey: string;
}

export interface WriteResult {
  ShardId: string;
  SequenceNumber: string;
}

export interface RecordWriterOptions {
  kinesis: KinesisClient;
  stream: string;
  clock: Clock;
  signal: AbortSignal;
  maxAttempts?: number;
  random?: () => number;
  /** Called with the number of records a retry is resending. */
  onRetry?: (records: number) => void;
}

export function entryBytes(e: WriteEntry): number {
  return e.Data.byteLength + Buffer.byteLength(e.PartitionKey);
}

/** Splits entries into PutRecords batches within both limits, in order. */
export function batches(entries: readonly WriteEntry[]): WriteEntry[][] {
  const out: WriteEntry[][] = [];
  let current: WriteEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entryBytes(e);
    if (current.length > 0 && (current.length >= MAX_BATCH_RECORDS || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export class RecordWriter {
  retried = 0;

  constructor(private readonly o: RecordWriterOptions) {}

  /** Writes every entry; resolves with each one's shard and sequence number, in input order. */
  async putAll(entries: readonly WriteEntry[]): Promise<WriteResult[]> {
    const results: WriteResult[] = [];
    for (const batch of batches(entries)) results.push(...(await this.putBatch(batch)));
    return results;
  }

  private async putBatch(batch: WriteEntry[]): Promise<WriteResult[]> {
    const results: (WriteResult | undefined)[] = new Array(batch.length);
    let pending = batch.map((_, i) => i);
    const maxAttempts = this.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    let lastReason = '';
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= maxAttempts) throw new RivuletError('CLI_PUT_FAILED', { count: pending.length, attempts: maxAttempts, reason: lastReason });
      if (attempt > 0) {
        this.retried += pending.length;
        this.o.onRetry?.(pending.length);
        await sleep(this.o.clock, backoffMs(attempt, this.o.random), this.o.signal);
      }
      const records: PutRecordsRequestEntry[] = pending.map((i) => ({ Data: batch[i]!.Data, PartitionKey: batch[i]!.PartitionKey }));
      let out;
      try {
        out = await this.o.kinesis.send(new PutRecordsCommand({ StreamName: this.o.stream, Records: records }));
      } catch (e) {
        if (!isThrottle(e)) throw e;
        lastReason = `${(e as Error).name}: ${(e as Error).message}`;
        continue;
      }
      const failed: number[] = [];
      (out.Records ?? []).forEach((r, j) => {
        const index = pending[j]!;
        if (r.ErrorCode) {
          failed.push(index);
          lastReason = `${r.ErrorCode}: ${r.ErrorMessage ?? ''}`;
        } else results[index] = { ShardId: r.ShardId!, SequenceNumber: r.SequenceNumber! };
      });
      pending = failed;
    }
    return results as WriteResult[];
  }
}
