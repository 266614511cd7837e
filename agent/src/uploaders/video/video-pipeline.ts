/**
 * Assembles the agent's video path from config: which buffered streams are Kinesis Video streams
 * (the camera sources' `stream`), the PutMedia uploader for them, and each camera's local
 * retention, which sees every new fragment before it is buffered and every upload that frees
 * one. Owns only the wiring; app.ts routes a stream to this uploader or the Data Streams one.
 */
import { link, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock, SigV4Credentials, SigningKeyCache, TimerHandle } from '@rivulet/shared';
import { FragmentRetention, type RetentionStats } from '../../buffer/fragment-retention.js';
import type { CameraSourceConfig } from '../../config/schema.js';
import type { DurableBuffer, Emit } from '../../pipeline/types.js';
import { decodeFragmentRef, fragmentPath, fragmentsRootFor } from '../../sources/camera/fragment-ref.js';
import { putMedia } from './put-media-client.js';
import { VideoUploader, type VideoUploadStats } from './video-uploader.js';

export interface VideoPipelineOptions {
  cameras: readonly CameraSourceConfig[];
  bufferPath: string;
  endpoint: string;
  region: string;
  credentials: SigV4Credentials | null;
}

export interface VideoPipelineDeps {
  buffer: DurableBuffer;
  clock: Clock;
  keyCache?: SigningKeyCache;
  onError: (err: unknown) => void;
}

const EXPIRE_EVERY_MS = 60_000;
/** The camera's newest fragment, for the live view (status/camera-snapshot.ts). */
export const PREVIEW_NAME = '.preview.mkv';

export class VideoPipeline {
  readonly uploader: VideoUploader;
  /** The Kinesis Video streams the cameras feed. */
  readonly streams: ReadonlySet<string>;
  private readonly retention = new Map<string, FragmentRetention>();
  /** Where the cameras' fragment files live (fragmentsRootFor the buffer path). */
  private readonly root: string;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly opts: VideoPipelineOptions,
    private readonly deps: VideoPipelineDeps,
  ) {
    const root = (this.root = fragmentsRootFor(opts.bufferPath));
    this.streams = new Set(opts.cameras.map((c) => c.stream));
    for (const camera of opts.cameras) {
      const r = camera.retention;
      this.retention.set(
        join(root, camera.name),
        new FragmentRetention({ dir: join(root, camera.name), maxBytes: r.maxBytes, maxAgeMs: r.maxHours * 3_600_000, policy: r.whenFull }, { clock: deps.clock }),
      );
    }
    const keepLocal = new Set(opts.cameras.filter((c) => c.keepLocal).map((c) => c.stream));
    this.uploader = new VideoUploader(
      { endpoint: opts.endpoint, region: opts.region, credentials: opts.credentials, liveWindowMs: 10_000, requestTimeoutMs: 60_000 },
      {
        buffer: deps.buffer,
        clock: deps.clock,
        putMedia: (req) => putMedia(req),
        fileOf: (ref) => fragmentPath(root, ref),
        keepLocalFor: (stream) => keepLocal.has(stream),
        onDeleted: (file) => this.retention.get(dirname(file))?.forget(file),
        ...(deps.keyCache ? { keyCache: deps.keyCache } : {}),
      },
    );
  }

  async start(): Promise<void> {
    for (const r of this.retention.values()) await r.load();
    this.timer = this.deps.clock.setInterval(() => {
      for (const r of this.retention.values()) r.expire().catch(this.deps.onError);
    }, EXPIRE_EVERY_MS);
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** A camera's emit: local retention decides first whether its new fragment is kept. */
  emitFor(emit: Emit): Emit {
    const root = this.root;
    return async (records, options) => {
      const kept = [];
      let denied = 0;
      for (const record of records) {
        const ref = decodeFragmentRef(record.data);
        const file = fragmentPath(root, ref);
        const retention = this.retention.get(dirname(file));
        if (!retention || (await retention.add(file, ref.bytes))) {
          kept.push(record);
          await this.linkPreview(file).catch(this.deps.onError);
        } else denied++;
      }
      const result = kept.length > 0 ? await emit(kept, options) : { dropped: 0, duplicates: 0 };
      return { dropped: result.dropped + denied, duplicates: result.duplicates };
    };
  }

  /**
   * Keeps a second name for the camera's newest fragment (PREVIEW_NAME), so the installer's live
   * view has a picture even after the upload deleted the fragment. A hard link: no bytes copied,
   * and at most one fragment's space held beyond retention.
   */
  private async linkPreview(file: string): Promise<void> {
    const preview = join(dirname(file), PREVIEW_NAME);
    await rm(`${preview}.tmp`, { force: true });
    await link(file, `${preview}.tmp`);
    await rename(`${preview}.tmp`, preview);
  }

  stats(): VideoUploadStats & { retention: Record<string, RetentionStats> } {
    return { ...this.uploader.stats(), retention: Object.fromEntries([...this.retention].map(([dir, r]) => [dir.slice(dir.lastIndexOf('/') + 1), r.stats()])) };
  }
}
