/**
 * The input of an application: every shard of a Rivulet data stream, read in-process and merged
 * into one sequence ordered by arrival time, with a watermark.
 *
 * Owns: per-shard read positions (what has been *released* to the application, so a checkpoint
 * of them resumes exactly), reshard order (a child shard is read only after its parents are
 * read to their end), and the merge: records are released in (arrival, shard, position) order,
 * and only once no record arriving earlier can still appear. That makes a row's ROWTIME
 * (its arrival time) and the order rows enter the application the same on every run over the
 * same records: what a restart needs to rebuild window state by replaying the input.
 * Does not own: decoding records, ROWTIME clamping, checkpoint storage (the runner).
 *
 * The watermark: a shard read to its tip at time T has every record committed before T. A put
 * stamps its arrival before its commit, so a record may become visible up to `commitSkewMs`
 * after its arrival; the bound for a caught-up shard is therefore T - commitSkewMs. A shard with
 * more to read bounds the release at its last read arrival (exclusive: more records of that
 * same millisecond may follow). A record that still shows up below the watermark (a commit
 * slower than the skew) is released with the rest; the runner stamps it at the watermark.
 */
import { RivuletError } from '@rivulet/shared';
import type { InternalRecord, StreamsService } from '../../streams/index.js';

export type StartingPosition = { kind: 'TRIM_HORIZON' } | { kind: 'AT_TIMESTAMP'; timestampMs: number };

/** Per shard index: the next position not yet released, or 'CLOSED' when it is fully released. */
export type SourcePositions = Record<string, number | 'CLOSED'>;

export type SourceRecord = InternalRecord;

export interface SourceDeps {
  readonly streams: StreamsService;
  readonly now: () => number;
  readonly commitSkewMs: number;
  /** Records read per shard per poll. */
  readonly readLimit: number;
}

export interface SourcePoll {
  readonly records: SourceRecord[];
  /** No record with an arrival below this will be released any more. */
  readonly watermarkMs: number;
  /** A shard had more to read right away. */
  readonly more: boolean;
}

interface ShardCursor {
  /** Next position to read. */
  readPosition: number;
  /** Read but not released yet, in position order. */
  pending: SourceRecord[];
  ended: boolean;
  caughtUp: boolean;
}

export class StreamInput {
  private readonly cursors = new Map<number, ShardCursor>();
  private readonly closed = new Set<number>();
  private watermarkMs = -Infinity;

  constructor(
    readonly streamName: string,
    private readonly start: StartingPosition,
    positions: SourcePositions,
    private readonly deps: SourceDeps,
  ) {
    for (const [index, p] of Object.entries(positions)) {
      if (p === 'CLOSED') this.closed.add(Number(index));
      else this.cursors.set(Number(index), { readPosition: p, pending: [], ended: false, caughtUp: false });
    }
  }

  /** The release frontier, for a checkpoint taken after everything released so far was applied. */
  positions(): SourcePositions {
    const out: SourcePositions = {};
    for (const index of this.closed) out[index] = 'CLOSED';
    for (const [index, c] of this.cursors) out[index] = c.pending[0]?.position ?? c.readPosition;
    return out;
  }

  /** Reads every readable shard once and releases what the watermark allows. */
  async poll(): Promise<SourcePoll> {
    const pollStart = this.deps.now();
    const stream = this.deps.streams.registry.require({ StreamName: this.streamName });
    const readable: [number, ShardCursor][] = [];
    for (const shard of [...stream.shards.values()].sort((a, b) => a.doc.index - b.doc.index)) {
      const index = shard.doc.index;
      if (this.closed.has(index)) continue;
      let cursor = this.cursors.get(index);
      if (!cursor) {
        const parents = [shard.doc.parentIndex, shard.doc.adjacentParentIndex].filter((p): p is number => p !== null && stream.shards.has(p));
        if (parents.some((p) => !this.closed.has(p))) continue;
        // A shard born after the application started is read from its beginning; one that
        // existed at the start is read from the starting position.
        const position = parents.length > 0 || this.start.kind === 'TRIM_HORIZON'
          ? 0
          : await this.deps.streams.records.startPosition(stream, index, this.start);
        cursor = { readPosition: position, pending: [], ended: false, caughtUp: false };
        this.cursors.set(index, cursor);
      }
      if (!cursor.ended) readable.push([index, cursor]);
    }
    // Shards are read at once: their store reads overlap in the I/O pool.
    const reads = await Promise.all(readable.map(([index, cursor]) => this.deps.streams.records.readFrom(stream, index, cursor.readPosition, this.deps.readLimit)));
    let more = false;
    readable.forEach(([, cursor], k) => {
      const read = reads[k]!;
      if (cursor.pending.length === 0) cursor.pending = read.records;
      else for (const r of read.records) cursor.pending.push(r);
      cursor.readPosition = read.next;
      cursor.ended = read.ended;
      cursor.caughtUp = read.ended || read.records.length < this.deps.readLimit;
      if (!cursor.caughtUp) more = true;
    });
    return { records: this.release(pollStart - this.deps.commitSkewMs), watermarkMs: this.watermarkMs, more };
  }

  private release(tipBoundMs: number): SourceRecord[] {
    let bound = Infinity;
    for (const c of this.cursors.values()) {
      if (c.ended) continue;
      const last = c.pending[c.pending.length - 1];
      bound = Math.min(bound, c.caughtUp ? tipBoundMs : (last?.arrivalMs ?? tipBoundMs));
    }
    if (bound === Infinity) bound = tipBoundMs;
    // Each shard's records are in arrival order already: merge them (k is the shard count).
    const runs: SourceRecord[][] = [];
    for (const c of this.cursors.values()) {
      let n = 0;
      while (n < c.pending.length && c.pending[n]!.arrivalMs < bound) n++;
      if (n === 0) continue;
      runs.push(n === c.pending.length ? c.pending : c.pending.slice(0, n));
      c.pending = n === c.pending.length ? [] : c.pending.slice(n);
    }
    const out = mergeByArrival(runs);
    for (const [index, c] of this.cursors) {
      if (c.ended && c.pending.length === 0) {
        this.cursors.delete(index);
        this.closed.add(index);
      }
    }
    if (bound > this.watermarkMs) this.watermarkMs = bound;
    return out;
  }
}

/** Merges runs each ordered by (arrival, position) into one ordered by (arrival, shard, position). */
function mergeByArrival(runs: SourceRecord[][]): SourceRecord[] {
  if (runs.length <= 1) return runs[0] ?? [];
  const out: SourceRecord[] = [];
  const at = runs.map(() => 0);
  for (;;) {
    let best = -1;
    for (let r = 0; r < runs.length; r++) {
      const rec = runs[r]![at[r]!];
      if (rec === undefined) continue;
      const b = best === -1 ? undefined : runs[best]![at[best]!]!;
      if (b === undefined || rec.arrivalMs < b.arrivalMs || (rec.arrivalMs === b.arrivalMs && rec.shardIndex < b.shardIndex)) best = r;
    }
    if (best === -1) return out;
    out.push(runs[best]![at[best]!]!);
    at[best]!++;
  }
}

/** The stream name in a Kinesis stream ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`). */
export function streamNameOfArn(arn: string, service: 'kinesis' | 'firehose'): string {
  const kind = service === 'kinesis' ? 'stream' : 'deliverystream';
  const m = new RegExp(`^arn:[^:]+:${service}:[^:]*:[^:]*:${kind}/([a-zA-Z0-9_.-]{1,128})$`).exec(arn);
  if (!m?.[1]) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `${arn} is not a ${service === 'kinesis' ? 'Kinesis stream' : 'Firehose delivery stream'} ARN` });
  return m[1];
}
