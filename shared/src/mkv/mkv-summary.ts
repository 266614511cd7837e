/**
 * What PutMedia and the fragment index need to know about one MKV document, computed from what
 * MkvStreamReader reported: the first cluster timecode, the duration, whether it opens on a
 * keyframe and whether cluster timecodes ever go backwards. Pure; owns no limits (the caller
 * compares against VIDEO_LIMITS).
 */
import type { MkvDocument } from './mkv-types.js';

export interface MkvSummary {
  /** The first cluster's Timecode in ms (as sent, on the producer's timeline); null without clusters. */
  firstTimecodeMs: number | null;
  /**
   * Last frame time minus first frame time, plus one frame interval estimated from the spacing of
   * the first frame's track. 0 without frames.
   */
  durationMs: number;
  /** The first block is a keyframe. */
  startsWithKeyframe: boolean;
  /** Some cluster's Timecode is lower than the one before it. */
  timecodesBackwards: boolean;
  /** The last cluster's Timecode in ms; null without clusters. */
  lastTimecodeMs: number | null;
  trackCount: number;
  frameCount: number;
}

/**
 * @example
 * const { durationMs, startsWithKeyframe } = summarizeMkvDocument(document);
 */
export function summarizeMkvDocument(doc: MkvDocument): MkvSummary {
  const msPerUnit = doc.timecodeScaleNs / 1e6;
  const first = doc.clusters[0];
  const last = doc.clusters[doc.clusters.length - 1];
  let timecodesBackwards = false;
  for (let i = 1; i < doc.clusters.length; i++) {
    if ((doc.clusters[i]?.timecode ?? 0) < (doc.clusters[i - 1]?.timecode ?? 0)) timecodesBackwards = true;
  }
  const firstBlock = doc.clusters.find((c) => c.blocks.length > 0)?.blocks[0];
  // Block times are presentation times: with B-frames they are not in order, so take min and max.
  let minMs = Infinity;
  let maxMs = -Infinity;
  let frameCount = 0;
  const primaryTimes: number[] = [];
  for (const cluster of doc.clusters) {
    for (const block of cluster.blocks) {
      const ms = (cluster.timecode + block.relativeTimecode) * msPerUnit;
      frameCount++;
      if (ms < minMs) minMs = ms;
      if (ms > maxMs) maxMs = ms;
      if (block.track === firstBlock?.track) primaryTimes.push(ms);
    }
  }
  return {
    firstTimecodeMs: first ? first.timecode * msPerUnit : null,
    lastTimecodeMs: last ? last.timecode * msPerUnit : null,
    durationMs: frameCount === 0 ? 0 : maxMs - minMs + frameIntervalMs(primaryTimes),
    startsWithKeyframe: firstBlock?.keyframe ?? false,
    timecodesBackwards,
    trackCount: doc.tracks.length,
    frameCount,
  };
}

/** The median spacing of distinct frame times; 0 when there are fewer than two. */
export function frameIntervalMs(timesMs: readonly number[]): number {
  const sorted = [...new Set(timesMs)].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push((sorted[i] as number) - (sorted[i - 1] as number));
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] as number;
}
