/**
 * The segment-log payload of one commit: its chunks (with their bodies) and producer state,
 *   chunkCount u16 | per chunk: streamId u32 | shardIndex u32 | firstPosition f64 | count u32 |
 *   arrivalMs f64 | bodyLength u32 | body | hasProducer u8 | [idLength u16 | id | stateLength u32 | state]
 * decode() also reports where each body sits inside the payload, so the index can point at it.
 */
import type { ChunkWrite, CommitRequest } from './store.js';

const CHUNK_HEADER_BYTES = 32;

export interface DecodedCommit {
  chunks: (Omit<ChunkWrite, 'body'> & { bodyOffset: number; bodyLength: number })[];
  producer?: { producerId: string; state: string };
}

/**
 * Encodes a commit as pieces (small headers interleaved with the chunk bodies themselves), so
 * the bodies are written to the log without being copied into one payload first.
 */
export function encodeCommit(request: CommitRequest): { pieces: Uint8Array[]; byteLength: number; bodyOffsets: number[] } {
  const pieces: Uint8Array[] = [];
  const bodyOffsets: number[] = [];
  let header = Buffer.allocUnsafe(2 + CHUNK_HEADER_BYTES);
  let o = header.writeUInt16BE(request.chunks.length, 0);
  let total = 0;
  for (const c of request.chunks) {
    o = header.writeUInt32BE(c.streamId, o);
    o = header.writeUInt32BE(c.shardIndex, o);
    o = header.writeDoubleBE(c.firstPosition, o);
    o = header.writeUInt32BE(c.count, o);
    o = header.writeDoubleBE(c.arrivalMs, o);
    o = header.writeUInt32BE(c.body.byteLength, o);
    pieces.push(header.subarray(0, o));
    total += o;
    bodyOffsets.push(total);
    pieces.push(c.body);
    total += c.body.byteLength;
    header = Buffer.allocUnsafe(CHUNK_HEADER_BYTES);
    o = 0;
  }
  const id = request.producer ? Buffer.from(request.producer.producerId, 'utf8') : null;
  const state = request.producer ? Buffer.from(request.producer.state, 'utf8') : null;
  const trailer = Buffer.allocUnsafe(request.chunks.length === 0 ? 3 + (id && state ? 6 + id.byteLength + state.byteLength : 0) : 1 + (id && state ? 6 + id.byteLength + state.byteLength : 0));
  let t = request.chunks.length === 0 ? trailer.writeUInt16BE(0, 0) : 0;
  t = trailer.writeUInt8(id && state ? 1 : 0, t);
  if (id && state) {
    t = trailer.writeUInt16BE(id.byteLength, t);
    t += id.copy(trailer, t);
    t = trailer.writeUInt32BE(state.byteLength, t);
    t += state.copy(trailer, t);
  }
  pieces.push(trailer.subarray(0, t));
  total += t;
  return { pieces, byteLength: total, bodyOffsets };
}

export function decodeCommit(payload: Buffer): DecodedCommit {
  const chunks: DecodedCommit['chunks'] = [];
  const n = payload.readUInt16BE(0);
  let o = 2;
  for (let i = 0; i < n; i++) {
    const streamId = payload.readUInt32BE(o);
    const shardIndex = payload.readUInt32BE(o + 4);
    const firstPosition = payload.readDoubleBE(o + 8);
    const count = payload.readUInt32BE(o + 16);
    const arrivalMs = payload.readDoubleBE(o + 20);
    const bodyLength = payload.readUInt32BE(o + 28);
    o += CHUNK_HEADER_BYTES;
    chunks.push({ streamId, shardIndex, firstPosition, count, arrivalMs, bodyOffset: o, bodyLength });
    o += bodyLength;
  }
  if (payload.readUInt8(o) !== 1) return { chunks };
  const idLength = payload.readUInt16BE(o + 1);
  const producerId = payload.toString('utf8', o + 3, o + 3 + idLength);
  o += 3 + idLength;
  const stateLength = payload.readUInt32BE(o);
  return { chunks, producer: { producerId, state: payload.toString('utf8', o + 4, o + 4 + stateLength) } };
}
