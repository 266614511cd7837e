/**
 * GetImages: decodes the frames at a sampling grid over a timestamp range into JPEG or PNG.
 * One ffmpeg per fragment decodes it once and keeps only the first frame at or after each
 * sample's offset (select filter), scaled as asked; showinfo reports which frames came out so
 * each image is matched to its sample. Pagination is a NextToken holding the next sample time.
 */
import { RivuletError, VIDEO_LIMITS } from '@rivulet/shared';
import type { FragmentRecord, TimestampKind } from '../fragment-types.js';
import { resolveStream, secondsToMs, type ArchiveContext } from './context.js';
import type { FfmpegSpawner } from './ffmpeg-runner.js';
import { ARCHIVE_LIMITS, locateSamples, sampleGrid, type ImageSample } from './fragment-selection.js';
import { splitImages } from './image-split.js';
import type { GetImagesInput } from './schemas.js';

export type ImagesRequest = GetImagesInput;

export interface ImageOut {
  TimeStamp: number;
  Error?: 'NO_MEDIA' | 'MEDIA_ERROR';
  ImageContent?: string;
}

const DEFAULT_INTERVAL_MS = 3000;

function invalid(message: string): RivuletError {
  return new RivuletError('VIDEO_INVALID_ARGUMENT', { message });
}

function parseNextToken(token: string | undefined, startMs: number, endMs: number): number {
  if (token === undefined) return startMs;
  const ms = Number(Buffer.from(token, 'base64').toString('utf8'));
  if (!Number.isSafeInteger(ms) || ms < startMs || ms > endMs) throw invalid('NextToken is not valid for this request.');
  return ms;
}

/** Kinesis Video JPEGQuality 1..100 (default 80) onto ffmpeg's mjpeg qscale 31..2. */
export function jpegQscale(formatConfig: Record<string, string> | undefined): number {
  const raw = formatConfig?.JPEGQuality;
  const quality = raw === undefined ? 80 : Number(raw);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw invalid('FormatConfig JPEGQuality must be an integer from 1 to 100.');
  return Math.round(31 - ((quality - 1) * 29) / 99);
}

export async function getImages(ctx: ArchiveContext, input: ImagesRequest): Promise<{ Images: ImageOut[]; NextToken?: string }> {
  const info = await resolveStream(ctx, input);
  const startMs = secondsToMs(input.StartTimestamp);
  const endMs = secondsToMs(input.EndTimestamp);
  if (endMs < startMs) throw invalid('EndTimestamp must not be earlier than StartTimestamp.');
  if (endMs - startMs > ARCHIVE_LIMITS.imagesMaxRangeMs) throw invalid('The range between StartTimestamp and EndTimestamp must not exceed 300 seconds.');
  const qscale = input.Format === 'JPEG' ? jpegQscale(input.FormatConfig) : 0;
  const pageSize = Math.min(input.MaxResults ?? ARCHIVE_LIMITS.imagesPageSize, ARCHIVE_LIMITS.imagesPageSize);
  const fromMs = parseNextToken(input.NextToken, startMs, endMs);
  const { times, nextMs } = sampleGrid(startMs, endMs, input.SamplingInterval ?? DEFAULT_INTERVAL_MS, fromMs, pageSize);
  const last = times[times.length - 1] ?? startMs;
  const records = await ctx.reader.listByTime(info.streamName, input.ImageSelectorType, (times[0] ?? startMs) - VIDEO_LIMITS.maxFragmentDurationMs, last);
  const samples = locateSamples(times, records, input.ImageSelectorType);
  const byFragment = new Map<string, { record: FragmentRecord; samples: ImageSample[] }>();
  for (const s of samples) {
    if (!s.fragment) continue;
    const entry = byFragment.get(s.fragment.fragmentNumber) ?? { record: s.fragment, samples: [] };
    entry.samples.push(s);
    byFragment.set(s.fragment.fragmentNumber, entry);
  }
  const content = new Map<number, string>();
  const failed = new Set<number>();
  // One fragment at a time: decoding is CPU-bound and the host may have few cores.
  for (const { record, samples: group } of byFragment.values()) {
    try {
      const bytes = await ctx.reader.read(info.streamName, record.fragmentNumber);
      const images = await decodeAt(ctx.spawn, bytes, group.map((s) => s.offsetMs), input, qscale);
      group.forEach((s, i) => {
        const image = images[i];
        if (image) content.set(s.timeMs, image.toString('base64'));
        else failed.add(s.timeMs);
      });
    } catch (err) {
      ctx.logger.warn({ err, stream: info.streamName, fragment: record.fragmentNumber }, 'could not decode images from a fragment');
      for (const s of group) failed.add(s.timeMs);
    }
  }
  const Images: ImageOut[] = samples.map((s) => {
    const image = content.get(s.timeMs);
    if (image !== undefined) return { TimeStamp: s.timeMs / 1000, ImageContent: image };
    return { TimeStamp: s.timeMs / 1000, Error: s.fragment && failed.has(s.timeMs) ? 'MEDIA_ERROR' : 'NO_MEDIA' };
  });
  return nextMs === null ? { Images } : { Images, NextToken: Buffer.from(String(nextMs), 'utf8').toString('base64') };
}

/**
 * Decodes one fragment and returns, per offset, the first frame at or after it (null when the
 * fragment ends first). Offsets are from the fragment's first frame, in ms, ascending.
 */
async function decodeAt(spawn: FfmpegSpawner, mkv: Buffer, offsetsMs: readonly number[], input: ImagesRequest, qscale: number): Promise<(Buffer | null)[]> {
  // A frame is picked when some offset falls in (previous frame time, this frame time].
  const picks = offsetsMs.map((ms) => `gte(t,${(ms / 1000).toFixed(3)})*(isnan(prev_t)+lt(prev_t,${(ms / 1000).toFixed(3)}))`);
  const filters = ['setpts=PTS-STARTPTS', `select='${picks.join('+')}'`];
  if (input.WidthPixels !== undefined || input.HeightPixels !== undefined) filters.push(`scale=${input.WidthPixels ?? -2}:${input.HeightPixels ?? -2}`);
  filters.push('showinfo');
  const codec = input.Format === 'JPEG' ? ['-c:v', 'mjpeg', '-q:v', String(qscale), '-pix_fmt', 'yuvj420p'] : ['-c:v', 'png'];
  const args = ['-v', 'info', '-f', 'matroska', '-i', 'pipe:0', '-map', '0:v:0', '-vf', filters.join(','), '-fps_mode', 'passthrough', ...codec, '-f', 'image2pipe', 'pipe:1'];
  const proc = spawn(args);
  const out: Buffer[] = [];
  let log = '';
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => {
    log += c.toString('utf8');
  });
  proc.stdin.on('error', () => undefined);
  proc.stdin.end(mkv);
  const code = await proc.exited;
  if (code !== 0) throw new RivuletError('VIDEO_MEDIA_PROCESSING', { message: `ffmpeg exited with ${String(code)}: ${log.trim().split('\n').slice(-2).join(' | ')}` });
  const frameTimesS = [...log.matchAll(/Parsed_showinfo.*?pts_time:\s*([-\d.]+)/g)].map((m) => Number(m[1]));
  const images = splitImages(Buffer.concat(out), input.Format);
  // Frame i answers every still-open offset at or before its time: the first frame at or after it.
  const result: (Buffer | null)[] = offsetsMs.map(() => null);
  let next = 0;
  frameTimesS.forEach((t, i) => {
    while (next < offsetsMs.length && (offsetsMs[next] as number) / 1000 <= t + 0.0005) result[next++] = images[i] ?? null;
  });
  return result;
}
