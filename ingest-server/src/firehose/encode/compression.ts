/**
 * Object-level compression for Firehose deliveries to S3 (CompressionFormat). Owns the byte
 * formats, the file extension Firehose appends, and the S3 content hints. It does not own object
 * naming, buffering or record format conversion (Parquet compresses pages itself, see parquet.ts).
 *
 * Formats:
 * - GZIP: one gzip member (node:zlib).
 * - ZIP: an archive with one entry (fflate).
 * - Snappy: the Snappy *framing* format (github.com/google/snappy, framing_format.txt): a stream
 *   identifier chunk, then one chunk per <= 65536 input bytes, each with a masked CRC-32C.
 * - HADOOP_SNAPPY: Hadoop's BlockCompressorStream layout: per block, a 4-byte big-endian
 *   uncompressed length, then a 4-byte big-endian compressed length and a raw Snappy block.
 */
import { promisify } from 'node:util';
import { createGzip, gzip as gzipCallback } from 'node:zlib';
import { zipSync } from 'fflate';
import { compressSync as snappyBlock } from 'snappy';
import { RivuletError } from '@rivulet/shared';

export type CompressionFormat = 'UNCOMPRESSED' | 'GZIP' | 'ZIP' | 'Snappy' | 'HADOOP_SNAPPY';

export const COMPRESSION_FORMATS: readonly CompressionFormat[] = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'];

const gzip = promisify(gzipCallback);

/**
 * Level 1: a delivery stream compresses everything it ingests, and on a small gateway-class
 * server gzip -6 costs about three times the CPU of -1 for a few percent of size. Large output
 * chunks keep the main thread's share (one callback per chunk) small.
 */
const GZIP_OPTIONS = { level: 1, chunkSize: 1024 * 1024 };

/** Compresses one delivered object. ZIP: an archive with one entry named entryName. */
export async function compressObject(format: CompressionFormat, body: Buffer, entryName: string): Promise<Buffer> {
  switch (format) {
    case 'UNCOMPRESSED':
      return body;
    case 'GZIP':
      return gzip(body, GZIP_OPTIONS);
    case 'ZIP':
      return Buffer.from(zipSync({ [entryName]: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }));
    case 'Snappy':
      return snappyFramed(body);
    case 'HADOOP_SNAPPY':
      return hadoopSnappy(body);
    default:
      throw unknownFormat(format);
  }
}

/**
 * compressObject for a body in parts: GZIP streams the parts through one deflate and returns its
 * output chunks, UNCOMPRESSED returns the parts, so a large batch is never joined into one
 * Buffer; the other formats need the whole body and join it first.
 */
export async function compressParts(format: CompressionFormat, parts: readonly Buffer[], entryName: string): Promise<Buffer[]> {
  if (format === 'UNCOMPRESSED') return [...parts];
  if (format !== 'GZIP') return [await compressObject(format, parts.length === 1 ? parts[0]! : Buffer.concat(parts), entryName)];
  const gz = createGzip(GZIP_OPTIONS);
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gz.once('end', resolve);
    gz.once('error', reject);
  });
  for (const p of parts) gz.write(p);
  gz.end();
  await done;
  return out;
}

/**
 * The file extension Firehose appends for the format ('' for UNCOMPRESSED).
 * Firehose developer guide, "Configure Amazon S3 object name format": Gzip → .gz, Zip → .zip,
 * Snappy → .snappy, Hadoop-Snappy → .snappy.
 */
export function compressionExtension(format: CompressionFormat): string {
  switch (format) {
    case 'UNCOMPRESSED':
      return '';
    case 'GZIP':
      return '.gz';
    case 'ZIP':
      return '.zip';
    case 'Snappy':
    case 'HADOOP_SNAPPY':
      return '.snappy';
    default:
      throw unknownFormat(format);
  }
}

/**
 * Content-Type hints for S3 PutObject. No Content-Encoding is ever set: the object *is* the
 * compressed file (key ends in .gz), and Content-Encoding: gzip would make HTTP clients that
 * honour it hand back the decompressed bytes instead of the object.
 */
export function compressionContentType(format: CompressionFormat): { contentType?: string; contentEncoding?: string } {
  switch (format) {
    case 'UNCOMPRESSED':
      return {};
    case 'GZIP':
      return { contentType: 'application/gzip' };
    case 'ZIP':
      return { contentType: 'application/zip' };
    case 'Snappy':
    case 'HADOOP_SNAPPY':
      return { contentType: 'application/octet-stream' };
    default:
      throw unknownFormat(format);
  }
}

function unknownFormat(format: unknown): RivuletError {
  return new RivuletError('FIREHOSE_INVALID_ARGUMENT', {
    message: `Unknown CompressionFormat ${JSON.stringify(format)}; expected one of ${COMPRESSION_FORMATS.join(', ')}`,
  });
}

// Snappy framing format: chunk type bytes and the stream identifier body.
const SNAPPY_CHUNK_COMPRESSED = 0x00;
const SNAPPY_CHUNK_UNCOMPRESSED = 0x01;
const SNAPPY_STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]); // 0xff, len 6, "sNaPpY"
// framing_format.txt: "the uncompressed data in a chunk must be no longer than 65536 bytes"
export const SNAPPY_FRAME_MAX_INPUT_BYTES = 65536;

function snappyFramed(body: Buffer): Buffer {
  const parts: Buffer[] = [SNAPPY_STREAM_IDENTIFIER];
  for (let offset = 0; offset < body.length; offset += SNAPPY_FRAME_MAX_INPUT_BYTES) {
    const piece = body.subarray(offset, offset + SNAPPY_FRAME_MAX_INPUT_BYTES);
    const compressed = snappyBlock(piece);
    // framing_format.txt allows an uncompressed chunk whenever compression does not pay.
    const useRaw = compressed.length >= piece.length;
    const payload = useRaw ? piece : compressed;
    const header = Buffer.alloc(8);
    header[0] = useRaw ? SNAPPY_CHUNK_UNCOMPRESSED : SNAPPY_CHUNK_COMPRESSED;
    header.writeUIntLE(payload.length + 4, 1, 3); // the length covers the CRC too
    header.writeUInt32LE(maskedCrc32c(piece), 4);
    parts.push(header, payload);
  }
  return Buffer.concat(parts);
}

// Hadoop SnappyCodec: io.compression.codec.snappy.buffersize defaults to 256 KiB, and
// BlockCompressorStream takes at most bufferSize - (bufferSize / 6 + 32) input bytes per block so
// the compressed block always fits the decompressor's buffer on the reading side.
const HADOOP_SNAPPY_BUFFER_BYTES = 256 * 1024;
export const HADOOP_SNAPPY_BLOCK_INPUT_BYTES = HADOOP_SNAPPY_BUFFER_BYTES - (Math.floor(HADOOP_SNAPPY_BUFFER_BYTES / 6) + 32);

function hadoopSnappy(body: Buffer): Buffer {
  // Hadoop writes a lone zero length for an empty stream (BlockCompressorStream.finish).
  if (body.length === 0) return Buffer.alloc(4);
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += HADOOP_SNAPPY_BLOCK_INPUT_BYTES) {
    const piece = body.subarray(offset, offset + HADOOP_SNAPPY_BLOCK_INPUT_BYTES);
    const compressed = snappyBlock(piece);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(piece.length, 0);
    header.writeUInt32BE(compressed.length, 4);
    parts.push(header, compressed);
  }
  return Buffer.concat(parts);
}

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** framing_format.txt: checksums are masked so that CRCs of data containing CRCs stay useful. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
