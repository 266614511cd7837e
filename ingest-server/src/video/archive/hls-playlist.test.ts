import { describe, expect, it } from 'vitest';
import type { FragmentRecord } from '../fragment-types.js';
import { masterPlaylist, mediaPlaylist } from './hls-playlist.js';
import type { HlsSession } from './session-token.js';

const frags: FragmentRecord[] = [0, 1, 2].map((i) => ({
  streamName: 's',
  fragmentNumber: `00${i}`,
  producerTimestampMs: Date.UTC(2026, 0, 1) + i * 2000 + (i === 2 ? 500 : 0),
  serverTimestampMs: 0,
  durationMs: 2000,
  sizeBytes: 10,
}));
const base: HlsSession = {
  streamName: 's',
  mode: 'ON_DEMAND',
  kind: 'PRODUCER_TIMESTAMP',
  container: 'MPEG_TS',
  startMs: 0,
  endMs: 1,
  originMs: 0,
  createdMs: 0,
  expiresMs: 1,
  maxFragments: 10,
  discontinuity: 'NEVER',
  displayTimestamp: false,
  bandwidthBps: 123_456.7,
};

describe('HLS playlists', () => {
  it('names one media playlist with the token in the master playlist', () => {
    expect(masterPlaylist(base, 'a.b')).toBe('#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=123457\ngetHLSMediaPlaylist.m3u8?SessionToken=a.b\n');
  });

  it('lists one TS segment per fragment with its duration, ending an ON_DEMAND playlist', () => {
    const text = mediaPlaylist(base, 't', { fragments: frags, mediaSequence: 0, ended: true });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:2.000,',
        'getTSFragment.ts?FragmentNumber=000&SessionToken=t',
        '#EXTINF:2.000,',
        'getTSFragment.ts?FragmentNumber=001&SessionToken=t',
        '#EXTINF:2.000,',
        'getTSFragment.ts?FragmentNumber=002&SessionToken=t',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('marks only real gaps in ON_DISCONTINUITY mode, with program date-times and fMP4 maps, and no ENDLIST while live', () => {
    const live = { ...base, mode: 'LIVE' as const, container: 'FRAGMENTED_MP4' as const, discontinuity: 'ON_DISCONTINUITY' as const, displayTimestamp: true };
    const text = mediaPlaylist(live, 't', { fragments: frags, mediaSequence: 7, ended: false });
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:7');
    expect(text).not.toContain('ENDLIST');
    expect(text).not.toContain('PLAYLIST-TYPE');
    expect(text.match(/#EXT-X-DISCONTINUITY/g)).toHaveLength(1);
    expect(text.match(/#EXT-X-MAP:URI="getMP4InitFragment\.mp4\?FragmentNumber=00\d&SessionToken=t"/g)).toHaveLength(2);
    expect(text).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:04.500Z');
    expect(text).toContain('getMP4MediaFragment.mp4?FragmentNumber=002&SessionToken=t');
  });
});
