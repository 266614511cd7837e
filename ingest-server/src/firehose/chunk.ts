/**
 * Chunks: how a delivery stream stores what one PutRecord(Batch) (or one source read) accepted.
 * Layout: f64 arrivalMs | u32 count | count × u32 record length | the records' bytes, back to back.
 * The records' bytes are contiguous, so a delivery stream with no processing hands the whole
 * body to its buffer without touching records one by one, and PutRecordBatch decodes base64
 * straight into the chunk: no per-record Buffer is ever made on that path.
 */
import { RivuletError } from '@rivulet/shared';

/** Firehose: a record is at most 1,000 KiB before base64. */
export const MAX_RECORD_BYTES = 1000 * 1024;

export interface Chunk {
  buffer: Buffer;
  count: number;
  /** Offset of the first record's bytes. */
  dataStart: number;
}

const HEADER = 12;

function decodedLength(text: string, member: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (text.length % 4 !== 0) throw new RivuletError('PROTOCOL_SERIALIZATION', { message: `Base64 encoded value at '${member}' is not valid` });
  const bytes = (text.length / 4) * 3 - padding;
  if (bytes > MAX_RECORD_BYTES) {
    throw new RivuletError('PROTOCOL_VALIDATION', { message: `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}` });
  }
  return bytes;
}

/**
 * Builds a chunk from base64 texts. Node's decoder skips characters outside the alphabet, so a
 * text with any writes fewer bytes than its length implies: that is refused, as is a bad length.
 * `member(i)` names the field in errors, as AWS does ('records.3.member.data').
 */
export function chunkFromBase64(texts: readonly string[], member: (i: number) => string): Chunk {
  const lengths = texts.map((t, i) => decodedLength(t, member(i)));
  const dataStart = HEADER + 4 * texts.length;
  const total = lengths.reduce((n, l) => n + l, dataStart);
  const buffer = Buffer.allocUnsafe(total);
  buffer.writeDoubleBE(0, 0);
  buffer.writeUInt32BE(texts.length, 8);
  let at = dataStart;
  for (let i = 0; i < texts.length; i++) {
    const len = lengths[i]!;
    buffer.writeUInt32BE(len, HEADER + 4 * i);
    if (buffer.write(texts[i]!, at, len, 'base64') !== len) throw new RivuletError('PROTOCOL_SERIALIZATION', { message: `Base64 encoded value at '${member(i)}' is not valid` });
    at += len;
  }
  return { buffer, count: texts.length, dataStart };
}

export function chunkFromRecords(records: readonly Buffer[]): Chunk {
  const dataStart = HEADER + 4 * records.length;
  const buffer = Buffer.allocUnsafe(records.reduce((n, r) => n + r.byteLength, dataStart));
  buffer.writeDoubleBE(0, 0);
  buffer.writeUInt32BE(records.length, 8);
  let at = dataStart;
  records.forEach((r, i) => {
    buffer.writeUInt32BE(r.byteLength, HEADER + 4 * i);
    r.copy(buffer, at);
    at += r.byteLength;
  });
  return { buffer, count: records.length, dataStart };
}

export function setChunkArrival(chunk: Chunk, arrivalMs: number): void {
  chunk.buffer.writeDoubleBE(arrivalMs, 0);
}

/** Reads a stored chunk; the records are views into `buffer`, not copies. */
export function readChunk(buffer: Buffer): { arrivalMs: number; records: Buffer[]; body: Buffer } {
  if (buffer.byteLength < HEADER) throw new RivuletError('FIREHOSE_STORAGE', { message: 'truncated chunk' });
  const count = buffer.readUInt32BE(8);
  const dataStart = HEADER + 4 * count;
  const records: Buffer[] = [];
  let at = dataStart;
  for (let i = 0; i < count; i++) {
    const len = buffer.readUInt32BE(HEADER + 4 * i);
    if (at + len > buffer.byteLength) throw new RivuletError('FIREHOSE_STORAGE', { message: 'truncated chunk' });
    records.push(buffer.subarray(at, at + len));
    at += len;
  }
  return { arrivalMs: buffer.readDoubleBE(0), records, body: buffer.subarray(dataStart, at) };
}

/** The records of a fresh chunk, as views. */
export function chunkRecords(chunk: Chunk): Buffer[] {
  return readChunk(chunk.buffer).records;
}
