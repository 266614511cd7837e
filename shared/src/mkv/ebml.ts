/**
 * EBML primitives (RFC 8794): variable-length integers for element ids and sizes, unsigned and
 * signed big-endian numbers, and the Matroska element ids the MKV reader looks at. Pure functions
 * over a Buffer; owns no state and no stream handling (mkv-stream-reader.ts does that).
 */

/** Matroska element ids, with their length marker bits kept, as they appear on the wire. */
export const MKV_IDS = {
  ebml: 0x1a45dfa3,
  docType: 0x4282,
  segment: 0x18538067,
  seekHead: 0x114d9b74,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  trackType: 0x83,
  codecId: 0x86,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
  referenceBlock: 0xfb,
  cues: 0x1c53bb6b,
  chapters: 0x1043a770,
  tags: 0x1254c367,
  attachments: 0x1941a469,
  void: 0xec,
  crc32: 0xbf,
} as const;

/** The children of a Segment: one of these ends an unknown-size Cluster (Matroska §6.2). */
export const SEGMENT_LEVEL_IDS: ReadonlySet<number> = new Set([
  MKV_IDS.seekHead, MKV_IDS.info, MKV_IDS.tracks, MKV_IDS.cluster, MKV_IDS.cues, MKV_IDS.chapters, MKV_IDS.tags, MKV_IDS.attachments,
]);

/** A decoded vint: its value and how many bytes it took. `value` is null for the reserved "unknown" size. */
export interface Vint {
  value: number | null;
  length: number;
}

/** Result of a read that may need more bytes than are buffered. */
export type VintRead = Vint | 'need-more' | 'invalid';

/** Number of leading zero bits before the length marker, i.e. the vint's length minus one (8 = none). */
function vintLength(first: number): number {
  for (let i = 0; i < 8; i++) if (first & (0x80 >> i)) return i + 1;
  return 9;
}

/**
 * Reads an element id at `pos`: 1 to 4 bytes, marker kept (EBML ids are compared whole).
 * Ids whose value bits are all ones or all zeros are reserved (RFC 8794 §5).
 */
export function readElementId(buf: Buffer, pos: number, end: number): VintRead {
  if (pos >= end) return 'need-more';
  const first = buf[pos] as number;
  const length = vintLength(first);
  if (length > 4) return 'invalid';
  if (pos + length > end) return 'need-more';
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + (buf[pos + i] as number);
  const valueBits = id - 2 ** (7 * length);
  if (valueBits === 0 || valueBits === 2 ** (7 * length) - 1) return 'invalid';
  return { value: id, length };
}

/**
 * Reads an element data size at `pos`: 1 to 8 bytes, marker removed. All value bits set means
 * "unknown size" (value null), which ffmpeg writes for Segment and Cluster on a pipe. A size past
 * Number.MAX_SAFE_INTEGER is invalid here; no real MKV comes close.
 */
export function readElementSize(buf: Buffer, pos: number, end: number): VintRead {
  if (pos >= end) return 'need-more';
  const first = buf[pos] as number;
  const length = vintLength(first);
  if (length > 8) return 'invalid';
  if (pos + length > end) return 'need-more';
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = buf[pos + i] as number;
    value = value * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  if (allOnes) return { value: null, length };
  if (!Number.isSafeInteger(value)) return 'invalid';
  return { value, length };
}

/** A big-endian unsigned integer of 0 to 8 bytes (EBML uinteger; an empty one is 0). */
export function readUnsigned(buf: Buffer, pos: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + (buf[pos + i] as number);
  return value;
}
