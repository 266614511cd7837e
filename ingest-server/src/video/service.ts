/**
 * The video service: stream lookup, versions and limits around one FragmentStore, plus the
 * retention trimmer. No Fastify imports; actions/ call into it, and PutMedia and the archive
 * reads use `fragments` (the store: a FragmentWriter and a FragmentReader).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { VideoStreamDoc } from './model.js';
import { VideoRetentionTrimmer } from './retention-trimmer.js';
import type { FragmentStore } from './store.js';

export interface VideoDeps {
  clock: Clock;
  store: FragmentStore;
  logger: Logger;
  region: string;
  accountId: string;
  /** How often expired fragments are deleted (default one minute). */
  retentionCheckIntervalMs?: number;
  /** Streams per account (default 10,000). */
  maxStreams?: number;
  /** Makes stream version strings (default 16 random hex digits). */
  newVersion?: () => string;
}

export interface StreamRef {
  StreamName?: string | undefined;
  StreamARN?: string | undefined;
}

export class VideoService {
  readonly trimmer: VideoRetentionTrimmer;
  private readonly makeVersion: () => string;

  private constructor(readonly deps: VideoDeps) {
    this.trimmer = new VideoRetentionTrimmer({
      clock: deps.clock,
      store: deps.store,
      logger: deps.logger,
      intervalMs: deps.retentionCheckIntervalMs ?? 60_000,
    });
    this.makeVersion = deps.newVersion ?? (() => randomBytes(8).toString('hex'));
  }

  /** Opens (and repairs) the store; the service is ready to start(). */
  static async open(deps: VideoDeps): Promise<VideoService> {
    await deps.store.open();
    return new VideoService(deps);
  }

  /** The store as PutMedia and the archive reads see it. */
  get fragments(): FragmentStore {
    return this.deps.store;
  }

  get maxStreams(): number {
    return this.deps.maxStreams ?? 10_000;
  }

  start(): void {
    this.trimmer.start();
  }

  async close(): Promise<void> {
    await this.trimmer.stop();
    await this.deps.store.close();
  }

  newVersion(): string {
    return this.makeVersion();
  }

  /** Resolves StreamName and/or StreamARN to a live stream, as every stream-scoped call does. */
  require(ref: StreamRef): VideoStreamDoc {
    if (ref.StreamName === undefined && ref.StreamARN === undefined) {
      throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Either StreamName or StreamARN must be provided' });
    }
    const byArn = ref.StreamARN !== undefined ? this.deps.store.streamDoc(ref.StreamARN) : null;
    if (ref.StreamARN !== undefined && (!byArn || byArn.arn !== ref.StreamARN)) {
      throw new RivuletError('VIDEO_STREAM_NOT_FOUND', { stream: ref.StreamARN.slice(0, 1024) });
    }
    if (byArn && ref.StreamName !== undefined && byArn.name !== ref.StreamName) {
      throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'StreamName and StreamARN name different streams' });
    }
    if (byArn) return byArn;
    const byName = this.deps.store.streamDoc(ref.StreamName ?? '');
    if (!byName || byName.name !== ref.StreamName) throw new RivuletError('VIDEO_STREAM_NOT_FOUND', { stream: String(ref.StreamName) });
    return byName;
  }
}
