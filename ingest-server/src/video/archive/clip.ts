/**
 * GetClip: the fragments overlapping a timestamp range, remuxed by ffmpeg into one fragmented
 * MP4 without re-encoding, cut at keyframes (GOP precision). Fragments are separate MKV documents
 * and ffmpeg's matroska demuxer stops at the first one when they are concatenated, so they go
 * through the concat demuxer as temp files (one directory per clip, removed when ffmpeg exits).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { RivuletError, VIDEO_LIMITS } from '@rivulet/shared';
import type { TimestampKind } from '../fragment-types.js';
import { resolveStream, secondsToMs, type ArchiveContext } from './context.js';
import { startFfmpegStream } from './ffmpeg-runner.js';
import { checkClipLimits, overlapping, timestampOf } from './fragment-selection.js';
import type { GetClipInput } from './schemas.js';

export type ClipRequest = GetClipInput;

export interface ClipResult {
  contentType: string;
  stream: Readable;
  kill: () => void;
}

export async function getClip(ctx: ArchiveContext, input: ClipRequest): Promise<ClipResult> {
  const info = await resolveStream(ctx, input);
  const kind = input.ClipFragmentSelector.FragmentSelectorType;
  const startMs = secondsToMs(input.ClipFragmentSelector.TimestampRange.StartTimestamp);
  const endMs = secondsToMs(input.ClipFragmentSelector.TimestampRange.EndTimestamp);
  if (endMs <= startMs) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'EndTimestamp must be later than StartTimestamp.' });
  // A fragment lasts at most maxFragmentDurationMs, so one starting that early can still overlap.
  const listed = await ctx.reader.listByTime(info.streamName, kind, startMs - VIDEO_LIMITS.maxFragmentDurationMs, endMs);
  const fragments = overlapping(listed, kind, startMs, endMs);
  const first = fragments[0];
  if (!first) {
    throw new RivuletError('VIDEO_NO_FRAGMENTS', { stream: info.streamName, where: `between ${new Date(startMs).toISOString()} and ${new Date(endMs).toISOString()} (${kind})` });
  }
  checkClipLimits(fragments);
  const dir = await mkdtemp(join(ctx.tmpDir, 'rivulet-clip-'));
  const removeDir = () => void rm(dir, { recursive: true, force: true }).catch((err: unknown) => ctx.logger.warn({ err, dir }, 'could not remove clip temp dir'));
  try {
    const lines: string[] = ['ffconcat version 1.0'];
    for (const [i, f] of fragments.entries()) {
      const file = join(dir, `${String(i).padStart(4, '0')}.mkv`);
      await writeFile(file, await ctx.reader.read(info.streamName, f.fragmentNumber));
      lines.push(`file '${file}'`);
    }
    const list = join(dir, 'list.ffconcat');
    await writeFile(list, `${lines.join('\n')}\n`);
    const originMs = timestampOf(first, kind);
    const seekS = Math.max(0, startMs - originMs) / 1000;
    const toS = (endMs - originMs) / 1000;
    // Input -ss/-to with -c copy start at the keyframe before the cut: GOP precision, no re-encode.
    const args = ['-v', 'error', '-f', 'concat', '-safe', '0', ...(seekS > 0 ? ['-ss', seekS.toFixed(3)] : []), '-to', toS.toFixed(3), '-i', list];
    args.push('-map', '0', '-c', 'copy', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', 'pipe:1');
    const { stream, kill } = await startFfmpegStream(ctx.spawn, args, null, removeDir);
    return { contentType: 'video/mp4', stream, kill };
  } catch (err) {
    removeDir();
    throw err;
  }
}
