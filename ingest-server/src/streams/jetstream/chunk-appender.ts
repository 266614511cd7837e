/**
 * Appends chunks whose positions JetStream assigns (the streams service's write path, which any
 * number of rivulet-ingest processes run at once). Each chunk is one publish with a fresh,
 * process-unique `Nats-Msg-Id`; its position is `sequence * POSITION_STRIDE`, known from the ack.
 *
 * - Publishes are pipelined; order among chunks in flight together is JetStream's arrival order,
 *   as for concurrent PutRecords calls in Kinesis. A call's chunks go to different shards.
 * - A failed publish (a timeout across a leader election, a reconnect) is retried with the same
 *   msg id until `recoverMs`: JetStream's duplicate window answers a retry of a publish that had
 *   landed with the original sequence, so a chunk is stored once and its position is exact.
 * - A chunk with a `dedupId` (an idempotent producer's batch) uses it as the msg id, so the
 *   same batch retried through any process within the window lands once, at the same position.
 * - A publish no stream receives means the shard's subject is no longer writable (a reshard,
 *   in this or another process, removed it from the stream's subjects) or the stream is gone:
 *   `isWritable` asks the stream's current configuration; if the subject is still there, the
 *   failure is transient and retried.
 */
import { randomBytes } from 'node:crypto';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as newHeaders } from '@nats-io/transport-node';
import type { Clock } from '@rivulet/shared';
import type { AppendChunk, AppendOutcome } from '../store.js';
import { isNoResponders, storageError } from './js-errors.js';
import { chunkHeaderValues, positionOfSeq, type JetStreamNames } from './naming.js';

export interface ChunkAppenderOptions {
  publishTimeoutMs: number;
  recoverMs: number;
  clock: Clock;
  /** Whether the shard's subject still takes writes (false also when the stream is gone). */
  isWritable(streamId: number, shardIndex: number): Promise<boolean>;
}

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;

export class ChunkAppender {
  /** Msg ids are `<nonce>.<counter>`: unique across processes and restarts. */
  private readonly nonce = randomBytes(9).toString('base64url');
  private counter = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly names: JetStreamNames,
    private readonly options: ChunkAppenderOptions,
  ) {}

  append(chunk: AppendChunk): Promise<AppendOutcome> {
    const msgId = chunk.dedupId ?? `${this.nonce}.${(this.counter++).toString(36)}`;
    const subject = this.names.shardSubject(chunk.streamId, chunk.shardIndex);
    return this.send(chunk, subject, msgId).then(
      (ack) => ({ firstPosition: positionOfSeq(ack.seq) }),
      (cause: unknown) => this.recover(chunk, subject, msgId, cause),
    );
  }

  private send(chunk: AppendChunk, subject: string, msgId: string): Promise<PubAck> {
    const h = newHeaders();
    for (const [k, v] of chunkHeaderValues(chunk)) h.set(k, v);
    return this.js.publish(subject, chunk.body, { msgID: msgId, headers: h, timeout: this.options.publishTimeoutMs });
  }

  private async recover(chunk: AppendChunk, subject: string, msgId: string, firstCause: unknown): Promise<AppendOutcome> {
    const deadline = this.options.clock.monotonicMs() + this.options.recoverMs;
    let cause = firstCause;
    for (let attempt = 0; ; attempt++) {
      if (isNoResponders(cause)) {
        try {
          if (!(await this.options.isWritable(chunk.streamId, chunk.shardIndex))) return { closed: true };
        } catch (lookupCause) {
          cause = lookupCause;
        }
      }
      if (this.options.clock.monotonicMs() >= deadline) throw storageError(`appending to ${subject}`, cause);
      await this.sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2));
      try {
        const ack = await this.send(chunk, subject, msgId);
        return { firstPosition: positionOfSeq(ack.seq) };
      } catch (next) {
        cause = next;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimer(resolve, ms));
  }
}
