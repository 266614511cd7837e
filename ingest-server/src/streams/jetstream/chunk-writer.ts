/**
 * Publishes chunk messages to JetStream, pipelined, while keeping each shard's messages in
 * position order through failures.
 *
 * - Every chunk is published at once (no waiting for the previous ack), with a deterministic
 *   `Nats-Msg-Id`; the connection keeps call order, so JetStream stores them in call order.
 * - Outcomes are settled per shard in call order. A publish that failed (ack lost in a
 *   reconnect, timeout during a leader election) is recovered only after every earlier chunk of
 *   its shard has settled, and only with a guarded publish:
 *     * the shard's last stored chunk is read from the leader;
 *     * if it is this chunk, the publish had landed: done;
 *     * if it is a later chunk, this one may only be confirmed, never appended out of order: a
 *       publish with the same msg id and an impossible expected-last-subject-sequence returns a
 *       duplicate ack if it had landed, else is refused, and the commit fails (the records were
 *       not stored, so the client's retry cannot duplicate them);
 *     * otherwise it is published with `Nats-Expected-Last-Subject-Sequence` = that last
 *       message's sequence (and the same msg id), so it lands right after it or not at all.
 * - A commit that cannot be confirmed within `recoverMs` fails with 503 (retryable).
 */
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { headers as newHeaders } from '@nats-io/transport-node';
import type { Clock } from '@rivulet/shared';
import { RivuletError } from '@rivulet/shared';
import type { ChunkWrite } from '../store.js';
import { isWrongLastSequence, storageError } from './js-errors.js';
import { leaderGet } from './leader-get.js';
import { chunkHeaderValues, parseChunkHeaders, type JetStreamNames } from './naming.js';

export interface ChunkWriterOptions {
  publishTimeoutMs: number;
  recoverMs: number;
  clock: Clock;
}

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;

export class ChunkWriter {
  private readonly settled = new Map<string, Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly names: JetStreamNames,
    private readonly options: ChunkWriterOptions,
  ) {}

  /** Throws if the chunk cannot be one message (not retryable, so checked before anything is published). */
  assertFits(chunk: Omit<ChunkWrite, 'firstPosition'>): void {
    // Headers take well under 1 KiB.
    const maxPayload = this.nc.info?.max_payload ?? Infinity;
    if (chunk.body.byteLength + 1024 > maxPayload) {
      const subject = this.names.shardSubject(chunk.streamId, chunk.shardIndex);
      throw new RivuletError('STREAMS_STORAGE', { message: `a ${chunk.body.byteLength}-byte chunk for ${subject} exceeds the NATS server's max_payload of ${maxPayload} bytes` });
    }
  }

  /** Publishes now; resolves once the chunk is stored in order, rejects if it is not stored. */
  publish(chunk: ChunkWrite): Promise<void> {
    const subject = this.names.shardSubject(chunk.streamId, chunk.shardIndex);
    const first = this.send(chunk, subject);
    first.catch(() => undefined);
    const previous = this.settled.get(subject) ?? Promise.resolve();
    const outcome = previous.then(async () => {
      try {
        await first;
      } catch (cause) {
        await this.recover(chunk, subject, cause);
      }
    });
    const tail = outcome.catch(() => undefined);
    this.settled.set(subject, tail);
    // Forget settled shards so the map does not grow with every shard ever written.
    void tail.then(() => {
      if (this.settled.get(subject) === tail) this.settled.delete(subject);
    });
    return outcome;
  }

  private send(chunk: ChunkWrite, subject: string, expectLastSubjectSequence?: number): Promise<PubAck> {
    const h = newHeaders();
    for (const [k, v] of chunkHeaderValues(chunk)) h.set(k, v);
    return this.js.publish(subject, chunk.body, {
      msgID: this.names.chunkMsgId(chunk.streamId, chunk.shardIndex, chunk.firstPosition),
      headers: h,
      timeout: this.options.publishTimeoutMs,
      ...(expectLastSubjectSequence === undefined ? {} : { expect: { lastSubjectSequence: expectLastSubjectSequence } }),
    });
  }

  private async recover(chunk: ChunkWrite, subject: string, firstCause: unknown): Promise<void> {
    const stream = this.names.chunkStream(chunk.streamId);
    const deadline = this.options.clock.monotonicMs() + this.options.recoverMs;
    let lastCause = firstCause;
    for (let attempt = 0; this.options.clock.monotonicMs() < deadline; attempt++) {
      try {
        const last = await leaderGet(this.nc, stream, { last_by_subj: subject }, this.options.publishTimeoutMs);
        const lastPosition = last === null ? -1 : parseChunkHeaders((n) => last.header(n), last.seq, `${stream}#${last.seq}`).firstPosition;
        if (lastPosition === chunk.firstPosition) return;
        if (last !== null && lastPosition > chunk.firstPosition) {
          // Only a duplicate ack may confirm it now; sequence 0 is never the last of a non-empty subject.
          try {
            const ack = await this.send(chunk, subject, 0);
            if (ack.duplicate) return;
          } catch (cause) {
            if (!isWrongLastSequence(cause)) throw cause;
          }
          throw new RivuletError('STREAMS_STORAGE_UNAVAILABLE', {
            message: `chunk ${subject}@${chunk.firstPosition} was not stored before a later chunk during a failover; retry the request`,
          });
        }
        await this.send(chunk, subject, last?.seq ?? 0);
        return;
      } catch (cause) {
        if (cause instanceof RivuletError) throw cause;
        lastCause = cause;
      }
      await this.sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
    throw storageError(`publishing ${subject}@${chunk.firstPosition}`, lastCause);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimer(resolve, ms));
  }
}
