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

export function encodeCommit(request: CommitRequest): { payload: Buffer; bodyOffsets: number[] } {
  let size = 2 + 1;
  for (const c of request.chunks) size += CHUNK_HEADER_BYTES + c.body.byteLength;
  const id = request.producer ? Buffer.from(request.producer.producerId, 'utf8') : null;
  const state = request.producer ? Buffer.from(request.producer.state, 'utf8') : null;
  if (id && state) size += 2 + id.byteLength + 4 + state.byteLength;
  const payload = Buffer.allocUnsafe(size);
  const bodyOffsets: number[] = [];
  let o = payload.writeUInt16BE(request.chunks.length, 0);
  for (const c of request.chunks) {
    o = payload.writeUInt32BE(c.streamId, o);
    o = payload.writeUInt32BE(c.shardIndex, o);
    o = payload.writeDoubleBE(c.firstPosition, o);
    o = payload.writeUInt32BE(c.count, o);
    o = payload.writeDoubleBE(c.arrivalMs, o);
    o = payload.writeUInt32BE(c.body.byteLength, o);
    bodyOffsets.push(o);
    payload.set(c.body, o);
    o += c.body.byteLength;
  }
  o = payload.writeUInt8(id && state ? 1 : 0, o);
  if (id && state) {
    o = payload.writeUInt16BE(id.byteLength, o);
    o += id.copy(payload, o);
    o = payload.writeUInt32BE(state.byteLength, o);
    state.copy(payload, o);
  }
  return { payload, bodyOffsets };
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
