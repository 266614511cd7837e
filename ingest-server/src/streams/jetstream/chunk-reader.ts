/**
 * Finds and reads one shard's chunk messages without consumers (temporary consumers time out
 * while a node is down): direct gets (`next_by_subj` from a sequence) served by any replica,
 * falling back to the stream leader when a replica answers "none" where more may follow (a
 * follower may lag the newest acknowledged write, made by this process or another one).
 *
 * Locating a position or a time is a binary search over the stream's sequence space, O(log n)
 * gets; sequential consumers skip it through a small cache of "position P starts at or after
 * sequence S" left by the previous read.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { StoredChunk } from '../store.js';
import { guarded } from './js-errors.js';
import { directGet, leaderGet, type GotMessage } from './leader-get.js';
import { parseChunkHeaders, type ChunkHeaders, type JetStreamNames } from './naming.js';

export interface ChunkMessage extends ChunkHeaders {
  seq: number;
  data: Uint8Array;
}

const HINT_LIMIT = 4096;

export class ChunkReader {
  /** `${subject}@${position}` -> a sequence at or before that position's chunk. */
  private readonly hints = new Map<string, number>();
  /** Per shard subject: positions below this were trimmed here (a follower may not have applied the purge yet). */
  private readonly trimmedBelow = new Map<string, number>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly names: JetStreamNames,
    private readonly timeoutMs: number,
  ) {}

  noteTrimmed(subject: string, belowPosition: number): void {
    if ((this.trimmedBelow.get(subject) ?? -1) < belowPosition) this.trimmedBelow.set(subject, belowPosition);
  }

  forgetStream(streamId: number): void {
    const head = this.names.shardSubject(streamId, 0).replace(/0$/, '');
    for (const key of [...this.hints.keys()]) if (key.startsWith(head)) this.hints.delete(key);
    for (const key of [...this.trimmedBelow.keys()]) if (key.startsWith(head)) this.trimmedBelow.delete(key);
  }

  /** The shard's last chunk, from the leader (always current). */
  async last(streamId: number, shardIndex: number): Promise<ChunkMessage | null> {
    const stream = this.names.chunkStream(streamId);
    const subject = this.names.shardSubject(streamId, shardIndex);
    const msg = await guarded(`reading the tail of ${subject}`, () => leaderGet(this.nc, stream, { last_by_subj: subject }, this.timeoutMs));
    return msg === null ? null : toChunk(stream, msg);
  }

  /** The shard's first chunk at or after sequence `seq`. `expectPosition` set: a "none" is confirmed with the leader. */
  async next(streamId: number, shardIndex: number, seq: number, expectPosition?: number): Promise<ChunkMessage | null> {
    const stream = this.names.chunkStream(streamId);
    const subject = this.names.shardSubject(streamId, shardIndex);
    const query = { seq, next_by_subj: subject };
    const direct = await guarded(`reading ${subject}`, () => directGet(this.jsm, stream, query));
    let chunk = direct === null ? null : toChunk(stream, direct);
    // The replica that answered may lag: miss an acknowledged write (any process's), or still
    // hold a chunk this process trimmed. The leader is current.
    const missing = chunk === null && expectPosition !== undefined;
    const trimmed = chunk !== null && chunk.firstPosition < (this.trimmedBelow.get(subject) ?? 0);
    if (missing || trimmed) {
      const msg = await guarded(`reading ${subject}`, () => leaderGet(this.nc, stream, query, this.timeoutMs));
      chunk = msg === null ? null : toChunk(stream, msg);
    }
    return chunk;
  }

  /** The first chunk of the shard for which `pred` holds (pred is false, then true, along the shard). */
  async search(streamId: number, shardIndex: number, pred: (c: ChunkMessage) => boolean): Promise<ChunkMessage | null> {
    // Expecting "anything" (-1): a replica answering "none" for a shard known to hold chunks lags.
    const first = await this.next(streamId, shardIndex, 1, -1);
    if (first === null || pred(first)) return first;
    const last = await this.last(streamId, shardIndex);
    if (last === null || !pred(last)) return null;
    // Invariants: `lo` is a chunk where pred is false; `found` is one where it holds, and no
    // chunk of the shard lies in [bound, found.seq).
    let lo = first.seq;
    let found = last;
    let bound = last.seq;
    while (bound - lo > 1) {
      const mid = Math.floor((lo + bound) / 2);
      const m = await this.next(streamId, shardIndex, mid, -1);
      if (m === null || m.seq >= bound) {
        bound = mid;
      } else if (pred(m)) {
        found = m;
        bound = mid;
      } else {
        lo = m.seq;
      }
    }
    return found;
  }

  async read(streamId: number, shardIndex: number, fromPosition: number, maxBytes: number, maxChunks: number): Promise<StoredChunk[]> {
    const subject = this.names.shardSubject(streamId, shardIndex);
    const hintKey = `${subject}@${fromPosition}`;
    const hinted = this.hints.get(hintKey);
    const covers = (c: ChunkMessage) => c.firstPosition + c.count > fromPosition;
    let current: ChunkMessage | null;
    if (hinted !== undefined) {
      // The hint says no chunk below sequence `hinted` reaches fromPosition, and `next` confirms a
      // "none" with the leader: the first chunk from there that reaches it is where to start (it
      // may start above fromPosition: positions have gaps, or chunks were trimmed).
      current = await this.next(streamId, shardIndex, hinted, fromPosition);
      if (current === null) return [];
      if (!covers(current)) current = await this.search(streamId, shardIndex, covers);
    } else {
      // A reader at the tip (the common poll) costs one get: the shard's last chunk.
      const last = await this.last(streamId, shardIndex);
      if (last === null || !covers(last)) {
        this.remember(hintKey, (last?.seq ?? 0) + 1);
        return [];
      }
      current = await this.search(streamId, shardIndex, covers);
    }
    const out: StoredChunk[] = [];
    let bytes = 0;
    let nextPosition = fromPosition;
    let lastSeq = 0;
    while (current !== null && out.length < maxChunks) {
      // A chunk behind the read position (a publish that landed late after its commit failed) is skipped.
      if (current.firstPosition + current.count > nextPosition) {
        out.push({ firstPosition: current.firstPosition, count: current.count, arrivalMs: current.arrivalMs, body: current.data });
        nextPosition = current.firstPosition + current.count;
        bytes += current.data.byteLength;
      }
      lastSeq = current.seq;
      if (bytes >= maxBytes || out.length >= maxChunks) break;
      current = await this.next(streamId, shardIndex, current.seq + 1, nextPosition);
    }
    if (out.length > 0) this.remember(`${subject}@${nextPosition}`, lastSeq + 1);
    return out;
  }

  private remember(key: string, seq: number): void {
    if (this.hints.size >= HINT_LIMIT) {
      const oldest = this.hints.keys().next().value;
      if (oldest !== undefined) this.hints.delete(oldest);
    }
    this.hints.set(key, seq);
  }
}

function toChunk(stream: string, msg: GotMessage): ChunkMessage {
  return { ...parseChunkHeaders((n) => msg.header(n), msg.seq, `${stream}#${msg.seq}`), seq: msg.seq, data: msg.data };
}
