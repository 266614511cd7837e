/**
 * One PutMedia request's core, free of HTTP: it takes body chunks as they arrive, cuts them into
 * MKV documents (one fragment each), checks every fragment against Kinesis Video's limits, stores
 * the good ones through FragmentWriter and reports each step as an acknowledgement (BUFFERING,
 * RECEIVED, PERSISTED, ERROR, IDLE) through `emit`.
 *
 * Invariants:
 * - A fragment is stored only once all its bytes arrived and it passed every check; a fragment
 *   cut short (bad bytes, client gone) stores nothing, and fragments stored before stay stored.
 * - Acknowledgements of one fragment come in order, and an ERROR comes after the PERSISTED of
 *   every fragment before it; after ERROR the session reads and stores nothing more.
 * - At most MAX_APPENDS_IN_FLIGHT appends wait at once: push() holds the reader back beyond that.
 * Does not own: headers, the stream lookup or the response (put-media.ts); storage (the writer).
 */
import type { Logger } from 'pino';
import {
  MkvStreamReader,
  PUT_MEDIA_ERRORS,
  VIDEO_LIMITS,
  summarizeMkvDocument,
  type Clock,
  type MkvDocument,
  type MkvEvent,
  type RivuletError,
  type PutMediaAck,
  type PutMediaErrorCode,
  type TimerHandle,
} from '@rivulet/shared';
import type { FragmentWriter } from './fragment-types.js';

/** Kinesis Video: a PutMedia fragment holds at most 3 tracks. */
export const MAX_TRACKS = 3;
const MAX_APPENDS_IN_FLIGHT = 2;
/** Kinesis Video sends IDLE while a connection stays open without data; every 3 s here. */
export const DEFAULT_IDLE_INTERVAL_MS = 3_000;

export interface PutMediaSessionDeps {
  writer: FragmentWriter;
  clock: Clock;
  logger: Logger;
}

export interface PutMediaSessionOptions {
  streamName: string;
  timecodeType: 'ABSOLUTE' | 'RELATIVE';
  /** x-amzn-producer-start-timestamp in ms; RELATIVE timecodes count from it. */
  producerStartMs: number;
  idleIntervalMs?: number;
}

/**
 * @example
 * const session = new PutMediaSession(deps, { streamName, timecodeType: 'RELATIVE', producerStartMs }, (ack) => out.write(JSON.stringify(ack)));
 * for await (const chunk of body) { await session.push(chunk); if (session.done) break; }
 * await session.end();
 */
export class PutMediaSession {
  private readonly reader = new MkvStreamReader({ maxDocumentBytes: VIDEO_LIMITS.maxFragmentBytes });
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  /** No more input is taken: an error was found, the input ended, or the client left. */
  private finished = false;
  /** An ERROR went out (or a store failed); queued appends after it are dropped. */
  private stopped = false;
  private lastTimecodeMs: number | null = null;
  private lastDataMs: number;
  private readonly idleTimer: TimerHandle;

  constructor(
    private readonly deps: PutMediaSessionDeps,
    private readonly opts: PutMediaSessionOptions,
    private readonly emit: (ack: PutMediaAck) => void,
  ) {
    const idleMs = opts.idleIntervalMs ?? DEFAULT_IDLE_INTERVAL_MS;
    this.lastDataMs = deps.clock.monotonicMs();
    this.idleTimer = deps.clock.setInterval(() => {
      if (!this.finished && deps.clock.monotonicMs() - this.lastDataMs >= idleMs) this.emit({ EventType: 'IDLE' });
    }, idleMs);
  }

  /** True once the session takes no more input (after an ERROR, end() or abort()). */
  get done(): boolean {
    return this.finished;
  }

  /** Takes the next body bytes; resolves when more may be read. */
  async push(chunk: Buffer): Promise<void> {
    if (this.finished) return;
    this.lastDataMs = this.deps.clock.monotonicMs();
    this.handle(this.reader.push(chunk));
    if (this.inFlight >= MAX_APPENDS_IN_FLIGHT) await this.chain;
  }

  /** The body is complete: finishes the last document, then waits for every acknowledgement. */
  async end(): Promise<void> {
    if (!this.finished) {
      this.handle(this.reader.end());
      this.finished = true;
    }
    await this.settled();
  }

  /** The stream exists but is not ACTIVE: nothing is read, and the client is told so. */
  refuseStream(): void {
    this.fail('STREAM_NOT_ACTIVE', null);
  }

  /** The client left: a fragment still arriving is dropped; complete ones already queued are stored. */
  abort(): void {
    this.finished = true;
    this.idleTimer.cancel();
  }

  /** Resolves once every queued append and acknowledgement is done. */
  async settled(): Promise<void> {
    await this.chain;
    this.idleTimer.cancel();
  }

  private handle(events: MkvEvent[]): void {
    for (const event of events) {
      if (this.finished) return;
      if (event.type === 'first-cluster') this.emit({ EventType: 'BUFFERING', FragmentTimecode: event.timecodeMs });
      else if (event.type === 'document') this.fragment(event.document);
      else if (event.type === 'error') this.readerFailed(event.error);
    }
  }

  private readerFailed(err: RivuletError): void {
    this.deps.logger.info({ stream: this.opts.streamName, reason: err.message }, 'PutMedia fragment refused');
    this.fail(err.code === 'VIDEO_FRAGMENT_TOO_LARGE' ? 'MAX_FRAGMENT_SIZE_REACHED' : 'INVALID_MKV_DATA', null);
  }

  /** Checks one complete document and queues its append. */
  private fragment(doc: MkvDocument): void {
    const summary = summarizeMkvDocument(doc);
    const timecodeMs = summary.firstTimecodeMs;
    const refuse = (code: PutMediaErrorCode, reason: string) => {
      this.deps.logger.info({ stream: this.opts.streamName, timecodeMs, reason }, 'PutMedia fragment refused');
      this.fail(code, timecodeMs);
    };
    if (doc.tracks.length === 0) return refuse('INVALID_MKV_DATA', 'no Tracks');
    if (doc.tracks.length > MAX_TRACKS) return refuse('MORE_THAN_ALLOWED_TRACKS_FOUND', `${doc.tracks.length} tracks`);
    if (timecodeMs === null || summary.frameCount === 0) return refuse('INVALID_MKV_DATA', 'no frames');
    if (!summary.startsWithKeyframe) return refuse('INVALID_MKV_DATA', 'does not start with a keyframe');
    if (summary.timecodesBackwards || (this.lastTimecodeMs !== null && timecodeMs < this.lastTimecodeMs)) {
      return refuse('FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', `timecode ${timecodeMs} ms after ${this.lastTimecodeMs} ms`);
    }
    if (summary.durationMs > VIDEO_LIMITS.maxFragmentDurationMs) return refuse('MAX_FRAGMENT_DURATION_REACHED', `${summary.durationMs} ms`);
    const producerTimestampMs = Math.round(this.opts.timecodeType === 'RELATIVE' ? this.opts.producerStartMs + timecodeMs : timecodeMs);
    if (!Number.isSafeInteger(producerTimestampMs) || producerTimestampMs < 0) return refuse('INVALID_PRODUCER_TIMESTAMP', `${producerTimestampMs}`);
    this.lastTimecodeMs = summary.lastTimecodeMs;
    this.emit({ EventType: 'RECEIVED', FragmentTimecode: timecodeMs });
    const fragment = {
      producerTimestampMs,
      serverTimestampMs: this.deps.clock.now(),
      durationMs: Math.round(summary.durationMs),
      bytes: doc.bytes,
    };
    this.inFlight++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.stopped) return;
        const { fragmentNumber } = await this.deps.writer.append(this.opts.streamName, fragment);
        this.emit({ EventType: 'PERSISTED', FragmentTimecode: timecodeMs, FragmentNumber: fragmentNumber });
      } catch (err) {
        this.deps.logger.error({ err, stream: this.opts.streamName, timecodeMs }, 'PutMedia could not store a fragment');
        this.stopped = true;
        this.finished = true;
        this.emit(errorAck('ARCHIVAL_ERROR', timecodeMs));
      } finally {
        this.inFlight--;
      }
    });
  }

  /** Stops taking input; the ERROR goes out after the acknowledgements already queued. */
  private fail(code: PutMediaErrorCode, timecodeMs: number | null): void {
    this.finished = true;
    this.chain = this.chain.then(() => {
      if (this.stopped) return;
      this.stopped = true;
      this.emit(errorAck(code, timecodeMs));
    });
  }
}

function errorAck(code: PutMediaErrorCode, timecodeMs: number | null): PutMediaAck {
  return {
    EventType: 'ERROR',
    ...(timecodeMs === null ? {} : { FragmentTimecode: timecodeMs }),
    ErrorId: PUT_MEDIA_ERRORS[code],
    ErrorCode: code,
  };
}
