/**
 * HLS playlist text (RFC 8216) for a session: the master playlist naming one media playlist, and
 * the media playlist with one segment per fragment (EXTINF = fragment duration). Owns the text
 * only; which fragments appear is fragment-selection.ts's hlsWindow.
 */
import type { FragmentRecord } from '../fragment-types.js';
import { timestampOf, type HlsWindow } from './fragment-selection.js';
import type { HlsSession } from './session-token.js';

/** The paths under the HLS prefix, as Kinesis Video names them. */
export const HLS_FILES = {
  master: 'getHLSMasterPlaylist.m3u8',
  media: 'getHLSMediaPlaylist.m3u8',
  init: 'getMP4InitFragment.mp4',
  mp4: 'getMP4MediaFragment.mp4',
  ts: 'getTSFragment.ts',
} as const;

export const HLS_PREFIX = '/hls/v1/';

function withToken(file: string, token: string, fragmentNumber?: string): string {
  const q = `SessionToken=${encodeURIComponent(token)}`;
  return fragmentNumber === undefined ? `${file}?${q}` : `${file}?FragmentNumber=${encodeURIComponent(fragmentNumber)}&${q}`;
}

export function masterPlaylist(session: HlsSession, token: string): string {
  return ['#EXTM3U', `#EXT-X-VERSION:${session.container === 'FRAGMENTED_MP4' ? 7 : 3}`, '#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-STREAM-INF:BANDWIDTH=${Math.max(1, Math.round(session.bandwidthBps))}`, withToken(HLS_FILES.media, token), ''].join('\n');
}

/** Two segments are continuous when the second starts where the first ended (to 50 ms). */
function continuous(prev: FragmentRecord, next: FragmentRecord, session: HlsSession): boolean {
  return Math.abs(timestampOf(prev, session.kind) + prev.durationMs - timestampOf(next, session.kind)) <= 50;
}

export function mediaPlaylist(session: HlsSession, token: string, window: HlsWindow): string {
  const { fragments } = window;
  const longestS = fragments.reduce((m, f) => Math.max(m, f.durationMs), 1000) / 1000;
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${session.container === 'FRAGMENTED_MP4' ? 7 : 3}`,
    `#EXT-X-TARGETDURATION:${Math.ceil(longestS)}`,
    `#EXT-X-MEDIA-SEQUENCE:${window.mediaSequence}`,
  ];
  if (session.mode === 'ON_DEMAND') lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  if (session.container === 'FRAGMENTED_MP4' && fragments[0]) lines.push(`#EXT-X-MAP:URI="${withToken(HLS_FILES.init, token, fragments[0].fragmentNumber)}"`);
  fragments.forEach((f, i) => {
    const prev = fragments[i - 1];
    // Kinesis Video: ALWAYS marks every fragment boundary; ON_DISCONTINUITY only gaps and overlaps.
    if (prev && (session.discontinuity === 'ALWAYS' || (session.discontinuity === 'ON_DISCONTINUITY' && !continuous(prev, f, session)))) {
      lines.push('#EXT-X-DISCONTINUITY');
      if (session.container === 'FRAGMENTED_MP4') lines.push(`#EXT-X-MAP:URI="${withToken(HLS_FILES.init, token, f.fragmentNumber)}"`);
    }
    if (session.displayTimestamp) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(timestampOf(f, session.kind)).toISOString()}`);
    lines.push(`#EXTINF:${(f.durationMs / 1000).toFixed(3)},`);
    lines.push(withToken(session.container === 'FRAGMENTED_MP4' ? HLS_FILES.mp4 : HLS_FILES.ts, token, f.fragmentNumber));
  });
  if (window.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
