/**
 * The video uploader: for a stream of fragment records (a camera source's FragmentRefs in the
 * durable buffer), sends one fragment file to PutMedia per attempt and, on PERSISTED, deletes
 * the file and acknowledges the record. It returns a Verdict; the RetryScheduler owns every wait.
 *
 * Invariants:
 * - A fragment file is deleted only after the server's PERSISTED acknowledgement (or kept, with
 *   keepLocal, for local playback and left to local retention). The file goes before the record:
 *   a crash between the two leaves a record without a file, which is then acknowledged as
 *   already sent, never a file nobody will upload or delete.
 * - A resend after a lost acknowledgement is safe: the server stores a fragment whose producer
 *   timestamp it already holds only once (shared/src/video.ts).
 * - Live first: when the newest fragment is younger than liveWindowMs it goes before the
 *   backlog, so a long outage's backlog never delays what is happening now. Otherwise the
 *   oldest goes first.
 * - A fragment the server refuses as malformed (an ERROR ack with a 4xxx data error) can never
 *   succeed: it is set aside (counted, file moved to rejected/) instead of blocking the camera.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PUT_MEDIA_ERRORS, type Clock, type PutMediaAck, type SigV4Credentials, type SigningKeyCache } from '@rivulet/shared';
import type { BufferedRecord, DurableBuffer } from '../../pipeline/types.js';
import { decodeFragmentRef, type FragmentRef } from '../../sources/camera/fragment-ref.js';
import { verdictFromHttp, verdictFromNetworkError } from '../http-verdict.js';
import type { Verdict } from '../scheduler.js';
import type { PutMediaRequest, PutMediaResult } from './put-media-client.js';

export interface VideoUploaderOptions {
  endpoint: string;
  region: string;
  credentials: SigV4Credentials | null;
  /** A fragment newer than this goes before the backlog. */
  liveWindowMs: number;
  requestTimeoutMs: number;
}

export interface VideoUploaderDeps {
  buffer: DurableBuffer;
  clock: Clock;
  putMedia: (req: PutMediaRequest) => Promise<PutMediaResult>;
  /** Where a fragment file is (throws for a path outside the fragments root). */
  fileOf: (ref: FragmentRef) => string;
  /** Streams whose uploaded fragments stay for local playback (local retention deletes them later). */
  keepLocalFor?: (stream: string) => boolean;
  /** Told when an uploaded fragment's file is deleted (local retention stops counting it). */
  onDeleted?: (file: string) => void;
  keyCache?: SigningKeyCache;
}

export interface VideoUploadStats {
  fragments: number;
  bytes: number;
  /** Records whose file was already gone (local retention, or a crash after the delete). */
  missingFiles: number;
  /** Fragments the server refused as malformed, moved to rejected/. */
  rejected: number;
  lastError: string | null;
  lastFragmentNumber: string | null;
}

/** Data errors: resending the same bytes can never succeed. */
const PERMANENT_ERRORS = new Set<number>([
  PUT_MEDIA_ERRORS.MAX_FRAGMENT_SIZE_REACHED,
  PUT_MEDIA_ERRORS.MAX_FRAGMENT_DURATION_REACHED,
  PUT_MEDIA_ERRORS.MORE_THAN_ALLOWED_TRACKS_FOUND,
  PUT_MEDIA_ERRORS.INVALID_MKV_DATA,
  PUT_MEDIA_ERRORS.INVALID_PRODUCER_TIMESTAMP,
]);

export class VideoUploader {
  private readonly counters: VideoUploadStats = { fragments: 0, bytes: 0, missingFiles: 0, rejected: 0, lastError: null, lastFragmentNumber: null };

  constructor(
    private readonly opts: VideoUploaderOptions,
    private readonly deps: VideoUploaderDeps,
  ) {}

  stats(): VideoUploadStats {
    return { ...this.counters };
  }

  async attempt(stream: string): Promise<Verdict> {
    const record = await this.pick(stream);
    if (!record) return { kind: 'ok' };
    let ref: FragmentRef;
    let file: string;
    try {
      ref = decodeFragmentRef(record.data);
      file = this.deps.fileOf(ref);
    } catch (err) {
      // Not a usable fragment reference: nothing can ever upload it.
      this.counters.rejected++;
      this.counters.lastError = `record ${record.seq} of ${stream}: ${err instanceof Error ? err.message : String(err)}`;
      await this.deps.buffer.ack(stream, [record.seq]);
      return { kind: 'ok' };
    }
    const size = await stat(file).then((s) => s.size, () => null);
    if (size === null) {
      this.counters.missingFiles++;
      await this.deps.buffer.ack(stream, [record.seq]);
      return { kind: 'ok' };
    }
    let result: PutMediaResult;
    try {
      result = await this.deps.putMedia({
        endpoint: this.opts.endpoint,
        streamName: stream,
        file,
        producerTimestampMs: ref.producerTimestampMs,
        region: this.opts.region,
        credentials: this.opts.credentials,
        ...(this.deps.keyCache ? { keyCache: this.deps.keyCache } : {}),
        nowMs: this.deps.clock.now(),
        timeoutMs: this.opts.requestTimeoutMs,
      });
    } catch (err) {
      this.counters.lastError = err instanceof Error ? err.message : String(err);
      return verdictFromNetworkError(err);
    }
    if (result.kind === 'http') {
      const type = result.headers['x-amzn-errortype']?.split(':')[0];
      this.counters.lastError = `${result.status} ${type ?? ''}`.trim();
      return verdictFromHttp(result.status, result.headers, type, this.deps.clock.now());
    }
    if (result.kind === 'error') return this.refused(stream, record, file, result.ack);
    this.counters.fragments++;
    this.counters.bytes += size;
    this.counters.lastFragmentNumber = result.fragmentNumber;
    if (!this.deps.keepLocalFor?.(stream)) {
      await rm(file, { force: true });
      this.deps.onDeleted?.(file);
    }
    await this.deps.buffer.ack(stream, [record.seq]);
    return { kind: 'ok' };
  }

  /** The newest record if it is live, else the oldest. */
  private async pick(stream: string): Promise<BufferedRecord | null> {
    const newest = await this.deps.buffer.peekNewest(stream);
    if (newest && this.deps.clock.now() - newest.wallMs <= this.opts.liveWindowMs) return newest;
    const [oldest] = await this.deps.buffer.peek(stream, 1, Number.MAX_SAFE_INTEGER);
    return oldest ?? null;
  }

  private async refused(stream: string, record: BufferedRecord, file: string, ack: PutMediaAck | null): Promise<Verdict> {
    const reason = ack ? `PutMedia ERROR ${ack.ErrorId ?? '?'} ${ack.ErrorCode ?? ''}`.trim() : 'PutMedia response ended before PERSISTED';
    this.counters.lastError = reason;
    if (ack?.ErrorId === undefined || !PERMANENT_ERRORS.has(ack.ErrorId)) return { kind: 'retry', reason };
    const rejected = join(dirname(file), 'rejected');
    await mkdir(rejected, { recursive: true });
    await rename(file, join(rejected, basename(file)));
    this.deps.onDeleted?.(file);
    this.counters.rejected++;
    await this.deps.buffer.ack(stream, [record.seq]);
    return { kind: 'ok' };
  }
}
