/**
 * Fragmented-MP4 surgery for HLS (ISO/IEC 14496-12): split ffmpeg's empty_moov output into the
 * init segment (up to and including moov) and the media segment (moof/mdat, without mfra), and move a media
 * segment along the timeline by adding to each traf's tfdt baseMediaDecodeTime, because ffmpeg's
 * mov muxer starts every fragment at zero whatever -output_ts_offset says. Reads box headers only.
 */
import { RivuletError } from '@rivulet/shared';

interface Box {
  type: string;
  start: number;
  /** First byte after the header. */
  body: number;
  end: number;
}

function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let pos = from;
  while (pos + 8 <= to) {
    let size = buf.readUInt32BE(pos);
    let header = 8;
    if (size === 1 && pos + 16 <= to) {
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) size = to - pos;
    if (size < header || pos + size > to) return;
    yield { type: buf.toString('latin1', pos + 4, pos + 8), start: pos, body: pos + header, end: pos + size };
    pos += size;
  }
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  for (const b of boxes(buf, parent.body, parent.end)) if (b.type === type) return b;
  return undefined;
}

export function splitInitSegment(mp4: Buffer): { init: Buffer; media: Buffer } {
  let init: Buffer | null = null;
  for (const box of boxes(mp4, 0, mp4.length)) {
    if (box.type === 'moov') init = mp4.subarray(0, box.end);
    // mfra indexes byte offsets of the whole file, which mean nothing in a lone media segment.
    if (init && box.type === 'mfra') return { init, media: mp4.subarray(init.length, box.start) };
  }
  if (init) return { init, media: mp4.subarray(init.length) };
  throw new RivuletError('VIDEO_MEDIA_PROCESSING', { message: 'the remuxed MP4 has no moov box' });
}

/** track_ID -> media timescale, from moov/trak/{tkhd, mdia/mdhd}. */
export function trackTimescales(init: Buffer): Map<number, number> {
  const scales = new Map<number, number>();
  const moov = [...boxes(init, 0, init.length)].find((b) => b.type === 'moov');
  if (!moov) return scales;
  for (const trak of boxes(init, moov.body, moov.end)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(init, trak, 'tkhd');
    const mdia = child(init, trak, 'mdia');
    const mdhd = mdia && child(init, mdia, 'mdhd');
    if (!tkhd || !mdhd) continue;
    const trackId = init.readUInt32BE(tkhd.body + (init[tkhd.body] === 1 ? 20 : 12));
    scales.set(trackId, init.readUInt32BE(mdhd.body + (init[mdhd.body] === 1 ? 20 : 12)));
  }
  return scales;
}

/** Adds `offsetS` seconds (in each track's timescale) to every tfdt in `media`, in place. */
export function shiftMediaSegment(media: Buffer, timescales: Map<number, number>, offsetS: number): void {
  for (const moof of boxes(media, 0, media.length)) {
    if (moof.type !== 'moof') continue;
    for (const traf of boxes(media, moof.body, moof.end)) {
      if (traf.type !== 'traf') continue;
      const tfhd = child(media, traf, 'tfhd');
      const tfdt = child(media, traf, 'tfdt');
      const scale = tfhd && timescales.get(media.readUInt32BE(tfhd.body + 4));
      if (!tfdt || !scale) continue;
      const delta = BigInt(Math.round(offsetS * scale));
      if (media[tfdt.body] === 1) media.writeBigUInt64BE(media.readBigUInt64BE(tfdt.body + 4) + delta, tfdt.body + 4);
      else media.writeUInt32BE(Number((BigInt(media.readUInt32BE(tfdt.body + 4)) + delta) & 0xffffffffn), tfdt.body + 4);
    }
  }
}
