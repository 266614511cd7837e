import { describe, expect, it } from 'vitest';
import { mkvFile, mkvSegments } from '../../../test/fixtures/mkv-ffmpeg.js';
import { MkvStreamReader, type MkvCluster, type MkvDocument } from './mkv-stream-reader.js';
import { frameIntervalMs, summarizeMkvDocument } from './mkv-summary.js';

function doc(clusters: MkvCluster[], timecodeScaleNs = 1_000_000): MkvDocument {
  return { bytes: Buffer.alloc(0), docType: 'matroska', timecodeScaleNs, tracks: [{ number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC' }], clusters };
}

function read(bytes: Buffer): MkvDocument[] {
  const reader = new MkvStreamReader();
  return [...reader.push(bytes), ...reader.end()].flatMap((e) => (e.type === 'document' ? [e.document] : []));
}

describe('summarizeMkvDocument', () => {
  it('measures a 4 s ffmpeg document at 30 fps with B-frames as 4000 ms from timecode 0', async () => {
    const [d] = read(await mkvFile());
    expect(summarizeMkvDocument(d as MkvDocument)).toEqual({
      firstTimecodeMs: 0, lastTimecodeMs: 3000, durationMs: 4000, startsWithKeyframe: true, timecodesBackwards: false, trackCount: 1, frameCount: 120,
    });
  });

  it('gives each segment-muxer document its own start and about 2 s', async () => {
    const summaries = (await mkvSegments()).flatMap(read).map(summarizeMkvDocument);
    expect(summaries).toHaveLength(2);
    expect(summaries[1]?.firstTimecodeMs).toBeGreaterThan(summaries[0]?.firstTimecodeMs as number);
    for (const s of summaries) {
      expect(s.durationMs).toBeGreaterThanOrEqual(1990);
      expect(s.durationMs).toBeLessThanOrEqual(2010);
      expect(s.startsWithKeyframe).toBe(true);
    }
  });

  it('reports cluster timecodes that go backwards, and a start without a keyframe', () => {
    const s = summarizeMkvDocument(doc([
      { timecode: 1000, blocks: [{ track: 1, relativeTimecode: 0, keyframe: false }] },
      { timecode: 500, blocks: [{ track: 1, relativeTimecode: 0, keyframe: true }] },
    ]));
    expect(s.timecodesBackwards).toBe(true);
    expect(s.startsWithKeyframe).toBe(false);
  });

  it('applies TimecodeScale and estimates the frame interval from the first track only', () => {
    const blocks = [0, 400, 800].map((t) => ({ track: 1, relativeTimecode: t, keyframe: t === 0 }));
    const audio = [0, 1, 2, 3].map((t) => ({ track: 2, relativeTimecode: t * 10, keyframe: true }));
    const s = summarizeMkvDocument(doc([{ timecode: 100, blocks: [...blocks, ...audio] }], 100_000));
    expect(s.firstTimecodeMs).toBe(10);
    expect(s.durationMs).toBeCloseTo(80 + 40);
  });

  it('gives an empty document no timecode and no duration', () => {
    expect(summarizeMkvDocument(doc([]))).toMatchObject({ firstTimecodeMs: null, durationMs: 0, startsWithKeyframe: false, frameCount: 0 });
    expect(frameIntervalMs([5])).toBe(0);
  });
});
