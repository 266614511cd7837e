/**
 * Key layout of the video index (LevelDB, utf8 keys). Fixed-width fields make one stream's
 * entries one contiguous range, ordered as the reads want them:
 *   s!<id>                                 -> stream document (JSON)
 *   f!<id>!<fragment number>               -> fragment record (JSON)
 *   p!<id>!<producer ms>!<fragment number> -> ''   (producer-time order; PutMedia dedup)
 *   t!<id>!<server ms>!<fragment number>   -> ''   (server-time order; retention)
 *   m!<setting>                            -> setting value
 * Owns only the encoding.
 */
import type { FragmentRecord } from './fragment-types.js';

const ID_DIGITS = 10;
const MS_DIGITS = 16;
/** Sorts after every digit, so `<prefix>~` bounds a range of numeric suffixes. */
const HIGH = '~';

export type TimeIndex = 'p' | 't';

const id = (streamId: number) => String(streamId).padStart(ID_DIGITS, '0');
/** Timestamps are whole milliseconds, clamped at 0 (index order only; records keep the value). */
export const msField = (ms: number) => String(Math.max(0, Math.min(Math.floor(ms), 9_999_999_999_999_999))).padStart(MS_DIGITS, '0');

export const streamKey = (streamId: number) => `s!${id(streamId)}`;
export const STREAM_RANGE = { gte: 's!', lt: `s!${HIGH}` };
export const settingKey = (name: string) => `m!${name}`;

export const fragmentKey = (streamId: number, fragmentNumber: string) => `f!${id(streamId)}!${fragmentNumber}`;

export function fragmentRange(streamId: number, from: string | null): { gte: string; lt: string } {
  const prefix = `f!${id(streamId)}!`;
  return { gte: prefix + (from ?? ''), lt: prefix + HIGH };
}

export const timeKey = (index: TimeIndex, streamId: number, ms: number, fragmentNumber: string) => `${index}!${id(streamId)}!${msField(ms)}!${fragmentNumber}`;

/** Keys of entries with timestamps in [fromMs, toMs]; with `after`, only those past it. */
export function timeRange(index: TimeIndex, streamId: number, fromMs: number, toMs: number, after: { timestampMs: number; fragmentNumber: string } | null): { gt?: string; gte?: string; lt: string } {
  const prefix = `${index}!${id(streamId)}!`;
  const lt = toMs === Infinity ? prefix + HIGH : `${prefix}${msField(toMs)}!${HIGH}`;
  const gte = `${prefix}${msField(fromMs)}!`;
  if (after === null) return { gte, lt };
  const gt = timeKey(index, streamId, after.timestampMs, after.fragmentNumber);
  return gt < gte ? { gte, lt } : { gt, lt };
}

/** Every key of one stream under one tag. */
export function streamTagRange(tag: 'f' | TimeIndex, streamId: number): { gte: string; lt: string } {
  const prefix = `${tag}!${id(streamId)}!`;
  return { gte: prefix, lt: prefix + HIGH };
}

/** The fragment number at the end of an f/p/t key. */
export function fragmentNumberOf(key: string): string {
  return key.slice(key.lastIndexOf('!') + 1);
}

/** The records' JSON is short-keyed: there may be millions of them. */
export function encodeRecord(r: FragmentRecord): string {
  return JSON.stringify({ p: r.producerTimestampMs, s: r.serverTimestampMs, d: r.durationMs, z: r.sizeBytes });
}

export function decodeRecord(streamName: string, fragmentNumber: string, text: string): FragmentRecord {
  const v = JSON.parse(text) as { p: number; s: number; d: number; z: number };
  return { streamName, fragmentNumber, producerTimestampMs: v.p, serverTimestampMs: v.s, durationMs: v.d, sizeBytes: v.z };
}
