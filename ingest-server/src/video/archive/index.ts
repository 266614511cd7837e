/**
 * The archived-media and media read side of Kinesis Video (GetClip, HLS, GetImages, GetMedia):
 * the only surface other modules import. registerArchiveRoutes adds the routes in their own
 * Fastify scope (so its JSON body parser stays local) on the app the lead assembles.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '@rivulet/shared';
import type { FragmentReader } from '../fragment-types.js';
import { createFfmpegSpawner, type FfmpegSpawner } from './ffmpeg-runner.js';
import { archiveRoutes } from './routes.js';

export type { FfmpegProcess, FfmpegSpawner } from './ffmpeg-runner.js';
export { createFfmpegSpawner } from './ffmpeg-runner.js';

export interface ArchiveDeps {
  reader: FragmentReader;
  clock: Clock;
  logger: Logger;
  ffmpegPath: string;
  /** Scheme and authority the HLS URLs name (e.g. https://video.example:4567); defaults to the request's. */
  baseUrl?: string;
  /** Starts ffmpeg; defaults to spawning ffmpegPath. */
  spawnFfmpeg?: FfmpegSpawner;
  /** HMAC key for HLS session tokens; defaults to a random key (sessions end with the process). */
  sessionKey?: Buffer;
  /** Temp directory for GetClip's fragment files; defaults to the OS temp dir. */
  tmpDir?: string;
  /** Named in ResourceNotFoundException messages. */
  accountId?: string;
}

/**
 * @example
 * registerArchiveRoutes(app, { reader: store, clock, logger, ffmpegPath: '/usr/bin/ffmpeg' });
 */
export function registerArchiveRoutes(app: FastifyInstance, deps: ArchiveDeps): void {
  const ctx = {
    reader: deps.reader,
    clock: deps.clock,
    logger: deps.logger.child({ service: 'video-archive' }),
    spawn: deps.spawnFfmpeg ?? createFfmpegSpawner(deps.ffmpegPath),
    sessionKey: deps.sessionKey ?? randomBytes(32),
    tmpDir: deps.tmpDir ?? tmpdir(),
    accountId: deps.accountId ?? '000000000000',
  };
  void app.register(archiveRoutes(ctx, deps.baseUrl));
}
