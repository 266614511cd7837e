import { describe, expect, it } from 'vitest';
import type { FragmentRecord } from '../fragment-types.js';
import { checkClipLimits, hlsWindow, locateSamples, overlapping, sampleGrid } from './fragment-selection.js';
import type { HlsSession } from './session-token.js';

function frag(i: number, over: Partial<FragmentRecord> = {}): FragmentRecord {
  return { streamName: 's', fragmentNumber: String(i).padStart(6, '0'), producerTimestampMs: i * 2000, serverTimestampMs: 100_000 + i * 2000, durationMs: 2000, sizeBytes: 1000, ...over };
}
const five = [0, 1, 2, 3, 4].map((i) => frag(i));
const session = (over: Partial<HlsSession>): HlsSession => ({
  streamName: 's',
  mode: 'ON_DEMAND',
  kind: 'PRODUCER_TIMESTAMP',
  container: 'MPEG_TS',
  startMs: 0,
  endMs: 10_000,
  originMs: 0,
  createdMs: 0,
  expiresMs: 1e9,
  maxFragments: 1000,
  discontinuity: 'ALWAYS',
  displayTimestamp: false,
  bandwidthBps: 1,
  ...over,
});

describe('fragment selection', () => {
  it('keeps fragments whose media overlaps the range, including one that started before it', () => {
    expect(overlapping(five, 'PRODUCER_TIMESTAMP', 3000, 6000).map((f) => f.producerTimestampMs)).toEqual([2000, 4000, 6000]);
    expect(overlapping(five, 'PRODUCER_TIMESTAMP', 4000, 4000)).toHaveLength(1);
    expect(overlapping(five, 'SERVER_TIMESTAMP', 0, 99_999)).toEqual([]);
  });

  it('refuses clips over 200 fragments or 100 MB with ClientLimitExceededException', () => {
    expect(() => checkClipLimits(Array.from({ length: 200 }, (_, i) => frag(i)))).not.toThrow();
    expect(() => checkClipLimits(Array.from({ length: 201 }, (_, i) => frag(i)))).toThrow(expect.objectContaining({ awsType: 'ClientLimitExceededException' }));
    expect(() => checkClipLimits([frag(0, { sizeBytes: 100 * 1024 * 1024 + 1 })])).toThrow(expect.objectContaining({ code: 'VIDEO_CLIENT_LIMIT' }));
  });

  it('gives ON_DEMAND the whole range, capped, and ended', () => {
    expect(hlsWindow(session({}), five, 0)).toEqual({ fragments: five, mediaSequence: 0, ended: true });
    expect(hlsWindow(session({ maxFragments: 2 }), five, 0).fragments).toEqual(five.slice(0, 2));
  });

  it('slides the LIVE window over the latest fragments and counts the ones it dropped', () => {
    expect(hlsWindow(session({ mode: 'LIVE', maxFragments: 3 }), five, 0)).toEqual({ fragments: five.slice(2), mediaSequence: 2, ended: false });
  });

  it('plays LIVE_REPLAY forward at wall-clock speed and ends at the end timestamp', () => {
    const replay = session({ mode: 'LIVE_REPLAY', startMs: 0, endMs: 6000, createdMs: 50_000, maxFragments: 5 });
    expect(hlsWindow(replay, five, 52_000)).toMatchObject({ fragments: five.slice(0, 2), ended: false });
    expect(hlsWindow(replay, five, 60_000)).toMatchObject({ fragments: five.slice(0, 4), ended: true });
  });

  it('lays the sampling grid out inclusively and pages it', () => {
    expect(sampleGrid(0, 10_000, 1000, 0, 25)).toEqual({ times: Array.from({ length: 11 }, (_, i) => i * 1000), nextMs: null });
    expect(sampleGrid(0, 10_000, 1000, 0, 4)).toEqual({ times: [0, 1000, 2000, 3000], nextMs: 4000 });
    expect(sampleGrid(0, 10_000, 1000, 8000, 4)).toEqual({ times: [8000, 9000, 10_000], nextMs: null });
    expect(sampleGrid(500, 600, 1000, 500, 25).times).toEqual([500]);
  });

  it('places samples inside the fragment that covers them', () => {
    const located = locateSamples([0, 2500, 10_000], five, 'PRODUCER_TIMESTAMP');
    expect(located.map((s) => [s.fragment?.fragmentNumber ?? null, s.offsetMs])).toEqual([
      ['000000', 0],
      ['000001', 500],
      [null, 0],
    ]);
  });
});
