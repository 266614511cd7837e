/**
 * What every archive read gets: the fragment reader, the clock, the ffmpeg spawner, the logger
 * and the session key. Also the one stream lookup they all start with (StreamName or StreamARN,
 * as the Kinesis Video APIs take either) and the wire timestamp conversion.
 */
import type { Logger } from 'pino';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { FragmentReader, VideoStreamInfo } from '../fragment-types.js';
import type { FfmpegSpawner } from './ffmpeg-runner.js';

export interface ArchiveContext {
  reader: FragmentReader;
  clock: Clock;
  logger: Logger;
  spawn: FfmpegSpawner;
  /** HMAC key for HLS session tokens. */
  sessionKey: Buffer;
  /** Where GetClip writes its temporary fragment files. */
  tmpDir: string;
  accountId: string;
}

/** The stream named by either field; ResourceNotFoundException when there is none. */
export async function resolveStream(ctx: ArchiveContext, input: { StreamName?: string; StreamARN?: string }): Promise<VideoStreamInfo> {
  const key = input.StreamARN ?? input.StreamName;
  if (key === undefined) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Either StreamName or StreamARN must be specified.' });
  if (input.StreamARN !== undefined && input.StreamName !== undefined) {
    throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Specify either StreamName or StreamARN, not both.' });
  }
  const info = await ctx.reader.stream(key);
  if (!info || info.status === 'DELETING') throw new RivuletError('VIDEO_STREAM_NOT_FOUND', { stream: key, account: ctx.accountId });
  return info;
}

/** REST-JSON timestamps are epoch seconds, possibly fractional. */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}
