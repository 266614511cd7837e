/**
 * Which fragments a read covers: overlap with a timestamp range, the clip limits, the HLS window
 * of each playback mode, and the GetImages sampling grid. Pure functions over FragmentRecords;
 * the reader calls and ffmpeg runs belong to the services that use them.
 */
import { RivuletError } from '@rivulet/shared';
import type { FragmentRecord, TimestampKind } from '../fragment-types.js';
import type { HlsSession } from './session-token.js';

export const ARCHIVE_LIMITS = {
  /** Kinesis Video GetClip: at most 100 MB of media. */
  clipMaxBytes: 100 * 1024 * 1024,
  /** Kinesis Video GetClip: at most 200 fragments. */
  clipMaxFragments: 200,
  /** Kinesis Video GetImages: the range spans at most 300 s. */
  imagesMaxRangeMs: 300_000,
  /** Kinesis Video GetImages: at most 25 images per page, whatever MaxResults says. */
  imagesPageSize: 25,
  /** Kinesis Video HLS LIVE: a stream with no fragment in the last 30 s has nothing to play. */
  liveLookbackMs: 30_000,
} as const;

export function timestampOf(fragment: FragmentRecord, kind: TimestampKind): number {
  return kind === 'PRODUCER_TIMESTAMP' ? fragment.producerTimestampMs : fragment.serverTimestampMs;
}

/** Fragments that hold any media in [startMs, endMs], in timestamp order. */
export function overlapping(records: readonly FragmentRecord[], kind: TimestampKind, startMs: number, endMs: number): FragmentRecord[] {
  return records.filter((f) => {
    const ts = timestampOf(f, kind);
    return ts <= endMs && ts + Math.max(f.durationMs, 1) > startMs;
  });
}

/** Throws ClientLimitExceededException when a clip would pass the GetClip limits. */
export function checkClipLimits(fragments: readonly FragmentRecord[]): void {
  const bytes = fragments.reduce((n, f) => n + f.sizeBytes, 0);
  if (fragments.length > ARCHIVE_LIMITS.clipMaxFragments || bytes > ARCHIVE_LIMITS.clipMaxBytes) {
    throw new RivuletError('VIDEO_CLIENT_LIMIT', {
      message: `The clip covers ${fragments.length} fragments and ${bytes} bytes; GetClip allows at most ${ARCHIVE_LIMITS.clipMaxFragments} fragments and ${ARCHIVE_LIMITS.clipMaxBytes} bytes. Request a shorter range.`,
    });
  }
}

export interface HlsWindow {
  fragments: FragmentRecord[];
  /** EXT-X-MEDIA-SEQUENCE: how many session fragments came before the window. */
  mediaSequence: number;
  /** True when no fragment will ever be added (EXT-X-ENDLIST). */
  ended: boolean;
}

/**
 * The media playlist's fragments. `sinceOrigin` holds every fragment from the session origin
 * on, in timestamp order. ON_DEMAND: the range, first maxFragments, ended. LIVE: the latest
 * maxFragments. LIVE_REPLAY: plays forward from the start at wall-clock speed.
 */
export function hlsWindow(session: HlsSession, sinceOrigin: readonly FragmentRecord[], nowMs: number): HlsWindow {
  const { kind, maxFragments } = session;
  if (session.mode === 'ON_DEMAND') {
    const inRange = overlapping(sinceOrigin, kind, session.startMs ?? -Infinity, session.endMs ?? Infinity);
    return { fragments: inRange.slice(0, maxFragments), mediaSequence: 0, ended: true };
  }
  let candidates: readonly FragmentRecord[] = sinceOrigin;
  let ended = false;
  if (session.mode === 'LIVE_REPLAY') {
    const playedUpTo = (session.startMs ?? session.originMs) + Math.max(0, nowMs - session.createdMs);
    const endMs = session.endMs ?? Infinity;
    candidates = sinceOrigin.filter((f) => timestampOf(f, kind) <= Math.min(playedUpTo, endMs));
    ended = playedUpTo >= endMs;
  }
  const first = Math.max(0, candidates.length - maxFragments);
  return { fragments: candidates.slice(first), mediaSequence: first, ended };
}

export interface ImageSample {
  timeMs: number;
  /** The fragment holding that instant and the offset into it, or null (NO_MEDIA). */
  fragment: FragmentRecord | null;
  offsetMs: number;
}

/** The sampling grid start, start+interval, ... up to end (inclusive), from `fromMs` on, one page. */
export function sampleGrid(startMs: number, endMs: number, intervalMs: number, fromMs: number, pageSize: number): { times: number[]; nextMs: number | null } {
  const times: number[] = [];
  const firstIndex = Math.max(0, Math.ceil((fromMs - startMs) / intervalMs));
  for (let i = firstIndex; ; i++) {
    const t = startMs + i * intervalMs;
    if (t > endMs) return { times, nextMs: null };
    if (times.length === pageSize) return { times, nextMs: t };
    times.push(t);
  }
}

/** Places each sample in the fragment whose media covers it. */
export function locateSamples(times: readonly number[], records: readonly FragmentRecord[], kind: TimestampKind): ImageSample[] {
  return times.map((timeMs) => {
    const fragment = records.find((f) => {
      const ts = timestampOf(f, kind);
      return ts <= timeMs && timeMs < ts + f.durationMs;
    });
    return { timeMs, fragment: fragment ?? null, offsetMs: fragment ? timeMs - timestampOf(fragment, kind) : 0 };
  });
}
