/**
 * Splits ffmpeg's image2pipe output into single images. JPEG: header segments are walked by length
 * up to SOS, then the image runs to EOI (FFD9): in entropy-coded data 0xFF is always stuffed.
 * PNG: the 8-byte signature, then length-prefixed chunks up to IEND (RFC 2083 §3).
 */
const EOI = Buffer.from([0xff, 0xd9]);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function splitImages(data: Buffer, format: 'JPEG' | 'PNG'): Buffer[] {
  return format === 'JPEG' ? splitJpeg(data) : splitPng(data);
}

function splitJpeg(data: Buffer): Buffer[] {
  const images: Buffer[] = [];
  let start = 0;
  while (start + 4 <= data.length && data[start] === 0xff && data[start + 1] === 0xd8) {
    // Walk the header segments by their lengths up to SOS (FFDA); only then scan for EOI.
    let pos = start + 2;
    while (pos + 4 <= data.length && data[pos] === 0xff && data[pos + 1] !== 0xda) pos += 2 + data.readUInt16BE(pos + 2);
    const end = data.indexOf(EOI, pos);
    if (end < 0) break;
    images.push(data.subarray(start, end + 2));
    start = end + 2;
  }
  return images;
}

function splitPng(data: Buffer): Buffer[] {
  const images: Buffer[] = [];
  let start = 0;
  while (start + PNG_SIGNATURE.length <= data.length && data.subarray(start, start + 8).equals(PNG_SIGNATURE)) {
    let pos = start + 8;
    let done = false;
    while (!done && pos + 12 <= data.length) {
      const length = data.readUInt32BE(pos);
      done = data.toString('latin1', pos + 4, pos + 8) === 'IEND';
      pos += 12 + length;
    }
    if (!done || pos > data.length) break;
    images.push(data.subarray(start, pos));
    start = pos;
  }
  return images;
}
