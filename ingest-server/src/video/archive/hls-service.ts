/**
 * HLS playback: GetHLSStreamingSessionURL checks the request and signs a session token; the
 * playlist GETs list the session's fragments; a segment is one fragment remuxed by ffmpeg with
 * `-c copy` (MPEG-TS, or fragmented MP4 split into init and media parts). Segment timestamps are
 * shifted to the fragment's place on the session timeline, so consecutive segments line up.
 */
import type { Readable } from 'node:stream';
import { RivuletError } from '@rivulet/shared';
import type { FragmentRecord, TimestampKind } from '../fragment-types.js';
import { resolveStream, secondsToMs, type ArchiveContext } from './context.js';
import { runFfmpegToBuffer, startFfmpegStream } from './ffmpeg-runner.js';
import { ARCHIVE_LIMITS, hlsWindow, overlapping, timestampOf } from './fragment-selection.js';
import { HLS_FILES, HLS_PREFIX, masterPlaylist, mediaPlaylist } from './hls-playlist.js';
import { shiftMediaSegment, splitInitSegment, trackTimescales } from './mp4-boxes.js';
import { TsDiscontinuityMarker } from './ts-discontinuity.js';
import { signSessionToken, verifySessionToken, type ContainerFormat, type HlsSession, type PlaybackMode } from './session-token.js';
import type { GetHlsUrlInput } from './schemas.js';

export type HlsUrlRequest = GetHlsUrlInput;

const DAY_MS = 24 * 3600 * 1000;
const FAR_FUTURE_MS = 8.64e15;

function invalid(message: string): RivuletError {
  return new RivuletError('VIDEO_INVALID_ARGUMENT', { message });
}

/** Kinesis Video rules for each mode; returns the session (unsigned). */
export async function createHlsSession(ctx: ArchiveContext, input: HlsUrlRequest): Promise<HlsSession> {
  const info = await resolveStream(ctx, input);
  const mode = input.PlaybackMode ?? 'LIVE';
  const kind = input.HLSFragmentSelector?.FragmentSelectorType ?? 'SERVER_TIMESTAMP';
  const range = input.HLSFragmentSelector?.TimestampRange;
  const startMs = range?.StartTimestamp === undefined ? null : secondsToMs(range.StartTimestamp);
  const endMs = range?.EndTimestamp === undefined ? null : secondsToMs(range.EndTimestamp);
  const nowMs = ctx.clock.now();
  let listed: FragmentRecord[];
  if (mode === 'LIVE') {
    if (range) throw invalid('TimestampRange must not be set when PlaybackMode is LIVE.');
    listed = await ctx.reader.listByTime(info.streamName, 'SERVER_TIMESTAMP', nowMs - ARCHIVE_LIMITS.liveLookbackMs, nowMs);
    if (listed.length === 0) throw new RivuletError('VIDEO_NO_FRAGMENTS', { stream: info.streamName, where: 'in the last 30 seconds' });
  } else {
    if (startMs === null) throw invalid(`StartTimestamp must be set when PlaybackMode is ${mode}.`);
    if (mode === 'ON_DEMAND' && endMs === null) throw invalid('EndTimestamp must be set when PlaybackMode is ON_DEMAND.');
    if (endMs !== null && endMs <= startMs) throw invalid('EndTimestamp must be later than StartTimestamp.');
    if (mode === 'ON_DEMAND' && endMs !== null && endMs - startMs > DAY_MS) throw invalid('The timestamp range must not exceed 24 hours when PlaybackMode is ON_DEMAND.');
    const to = endMs ?? FAR_FUTURE_MS;
    listed = overlapping(await ctx.reader.listByTime(info.streamName, kind, startMs - 10_000, to), kind, startMs, to);
    if (listed.length === 0) throw new RivuletError('VIDEO_NO_FRAGMENTS', { stream: info.streamName, where: `in the requested range (${kind})` });
  }
  const recent = mode === 'LIVE' ? listed : listed.slice(0, 10);
  const first = recent[0] as FragmentRecord;
  const bytes = recent.reduce((n, f) => n + f.sizeBytes, 0);
  const durationMs = recent.reduce((n, f) => n + f.durationMs, 0);
  const expiresS = input.Expires ?? 300;
  return {
    streamName: info.streamName,
    mode,
    kind,
    container: input.ContainerFormat ?? 'FRAGMENTED_MP4',
    startMs,
    endMs,
    originMs: mode === 'LIVE' ? timestampOf(first, kind) : Math.min(startMs ?? 0, timestampOf(first, kind)),
    createdMs: nowMs,
    expiresMs: nowMs + expiresS * 1000,
    maxFragments: input.MaxMediaPlaylistFragmentResults ?? (mode === 'ON_DEMAND' ? 1000 : 5),
    discontinuity: input.DiscontinuityMode ?? 'ALWAYS',
    displayTimestamp: input.DisplayFragmentTimestamp === 'ALWAYS',
    bandwidthBps: durationMs > 0 ? (bytes * 8 * 1000) / durationMs : 1_000_000,
  };
}

/** The URL the SDK hands back: `<base>/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=...`. */
export function sessionUrl(ctx: ArchiveContext, session: HlsSession, baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${HLS_PREFIX}${HLS_FILES.master}?SessionToken=${encodeURIComponent(signSessionToken(session, ctx.sessionKey))}`;
}

/** The session a GET's token names; NotAuthorizedException when it is forged or expired. */
export function openSession(ctx: ArchiveContext, token: string | undefined): HlsSession {
  if (!token) throw new RivuletError('VIDEO_NOT_AUTHORIZED', { message: 'SessionToken is missing.' });
  const check = verifySessionToken(token, ctx.sessionKey, ctx.clock.now());
  if (!check.ok) throw new RivuletError('VIDEO_NOT_AUTHORIZED', { message: check.reason === 'expired' ? 'The session has expired.' : 'The SessionToken is not valid.' });
  return check.session;
}

export function masterText(session: HlsSession, token: string): string {
  return masterPlaylist(session, token);
}

export async function mediaText(ctx: ArchiveContext, session: HlsSession, token: string): Promise<string> {
  const to = session.mode === 'ON_DEMAND' && session.endMs !== null ? session.endMs : FAR_FUTURE_MS;
  const from = session.mode === 'LIVE' ? session.originMs : (session.startMs ?? session.originMs) - 10_000;
  const listed = await ctx.reader.listByTime(session.streamName, session.kind, from, to);
  const sinceOrigin = session.mode === 'LIVE' ? listed : overlapping(listed, session.kind, session.startMs ?? -Infinity, to);
  return mediaPlaylist(session, token, hlsWindow(session, sinceOrigin, ctx.clock.now()));
}

async function sessionFragment(ctx: ArchiveContext, session: HlsSession, fragmentNumber: string | undefined): Promise<{ record: FragmentRecord; bytes: Buffer }> {
  if (!fragmentNumber) throw invalid('FragmentNumber is missing.');
  const record = await ctx.reader.get(session.streamName, fragmentNumber);
  if (!record) throw new RivuletError('VIDEO_FRAGMENT_NOT_FOUND', { fragment: fragmentNumber, stream: session.streamName });
  return { record, bytes: await ctx.reader.read(session.streamName, fragmentNumber) };
}

/** Seconds from the session origin; never negative (a late-arriving earlier fragment starts at 0). */
function offsetS(session: HlsSession, record: FragmentRecord): string {
  return (Math.max(0, timestampOf(record, session.kind) - session.originMs) / 1000).toFixed(3);
}

export async function tsSegment(ctx: ArchiveContext, session: HlsSession, fragmentNumber: string | undefined): Promise<{ stream: Readable; kill: () => void }> {
  const { record, bytes } = await sessionFragment(ctx, session, fragmentNumber);
  const args = ['-v', 'error', '-f', 'matroska', '-i', 'pipe:0', '-map', '0', '-c', 'copy', '-output_ts_offset', offsetS(session, record), '-f', 'mpegts', 'pipe:1'];
  const { stream, kill } = await startFfmpegStream(ctx.spawn, args, bytes);
  return { stream: stream.pipe(new TsDiscontinuityMarker()), kill };
}

/**
 * One fragment as fragmented MP4: ftyp+moov (init) and moof+mdat (media), split by box, with
 * the media moved to the fragment's place on the session timeline.
 */
async function mp4Parts(ctx: ArchiveContext, session: HlsSession, fragmentNumber: string | undefined): Promise<{ init: Buffer; media: Buffer }> {
  const { record, bytes } = await sessionFragment(ctx, session, fragmentNumber);
  const args = ['-v', 'error', '-f', 'matroska', '-i', 'pipe:0', '-map', '0', '-c', 'copy', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', 'pipe:1'];
  const parts = splitInitSegment(await runFfmpegToBuffer(ctx.spawn, args, bytes));
  shiftMediaSegment(parts.media, trackTimescales(parts.init), Number(offsetS(session, record)));
  return parts;
}

export async function mp4Init(ctx: ArchiveContext, session: HlsSession, fragmentNumber: string | undefined): Promise<Buffer> {
  return (await mp4Parts(ctx, session, fragmentNumber)).init;
}

export async function mp4Media(ctx: ArchiveContext, session: HlsSession, fragmentNumber: string | undefined): Promise<Buffer> {
  return (await mp4Parts(ctx, session, fragmentNumber)).media;
}
