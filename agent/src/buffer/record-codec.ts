/**
 * The buffer's on-disk encoding: binary LevelDB keys and compact record values. Owns only the
 * byte layout; the buffer decides what is written when (level-buffer.ts).
 *
 * Keys (big-endian, so LevelDB's bytewise order is the order we want):
 *   0x01 | nameLength u8 | stream utf8 | seq u64   -> record value    (one stream = one range)
 *   0x02 | key utf8                                -> meta value utf8
 *   0x03 | stream utf8                             -> dropped count u64
 *   0x04 | name utf8                               -> system value u64 (the seq ceiling)
 *   0x05 | idempotency key utf8                    -> dedup entry (dedup-index.ts)
 * The stream name is length-prefixed so that no stream's range contains another's ("a", "ab").
 *
 * Record value: version u8 (1) | partitionKeyLength u16 | partitionKey utf8 | wallMs f64 |
 *   monoMs f64 | data (the rest of the value, so it needs no length of its own).
 */
import { RivuletError } from '@rivulet/shared';
import type { SourceRecord } from '../pipeline/types.js';

const TAG_RECORD = 0x01;
const TAG_META = 0x02;
const TAG_DROPPED = 0x03;
const TAG_SYSTEM = 0x04;
const TAG_DEDUP = 0x05;
const VALUE_VERSION = 1;
const VALUE_HEADER_BYTES = 1 + 2 + 8 + 8;
const SEQ_BYTES = 8;
/** The name length is one byte; Kinesis stream names are at most 128 characters anyway. */
const MAX_STREAM_NAME_BYTES = 255;
/** Kinesis: a partition key is at most 256 Unicode characters, so at most 1,024 utf8 bytes. */
const MAX_PARTITION_KEY_BYTES = 1024;

export type RecordValue = Omit<SourceRecord, 'stream'>;

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * 0x1_0000_0000 + buf.readUInt32BE(offset + 4);
}

/** Buffers from LevelDB may be views; this reads them without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function streamPrefix(stream: string, extra: number): Buffer {
  const nameBytes = recordKeyBytes(stream) - SEQ_BYTES - 2;
  const key = Buffer.allocUnsafe(2 + nameBytes + extra);
  key[0] = TAG_RECORD;
  key[1] = nameBytes;
  key.write(stream, 2, 'utf8');
  return key;
}

export function recordKey(stream: string, seq: number): Buffer {
  const key = streamPrefix(stream, SEQ_BYTES);
  writeU64(key, seq, key.length - SEQ_BYTES);
  return key;
}

/** The byte length recordKey(stream, any seq) will have; throws for a name that cannot be a key. */
export function recordKeyBytes(stream: string): number {
  const nameBytes = Buffer.byteLength(stream, 'utf8');
  if (nameBytes === 0 || nameBytes > MAX_STREAM_NAME_BYTES) {
    throw new RivuletError('AGENT_INVALID_RECORD', { message: `stream name must be 1 to ${MAX_STREAM_NAME_BYTES} bytes, got ${nameBytes}` });
  }
  return 2 + nameBytes + SEQ_BYTES;
}

export function decodeRecordKey(bytes: Uint8Array): { stream: string; seq: number } {
  const key = asBuffer(bytes);
  const nameBytes = key[1] ?? 0;
  if (key[0] !== TAG_RECORD || key.length !== 2 + nameBytes + SEQ_BYTES) {
    throw new RivuletError('AGENT_BUFFER', { message: `malformed buffer record key ${key.toString('hex')}` });
  }
  return { stream: key.toString('utf8', 2, 2 + nameBytes), seq: readU64(key, 2 + nameBytes) };
}

/** Keys of one stream's records from seq `fromSeq` on, for a range scan. */
export function streamRange(stream: string, fromSeq = 0): { gte: Buffer; lt: Buffer } {
  const lt = streamPrefix(stream, SEQ_BYTES + 1);
  lt.fill(0xff, lt.length - SEQ_BYTES - 1);
  return { gte: recordKey(stream, fromSeq), lt };
}

/** Every record key of every stream. */
export const ALL_RECORDS = { gte: Buffer.from([TAG_RECORD]), lt: Buffer.from([TAG_RECORD + 1]) };
export const ALL_META = { gte: Buffer.from([TAG_META]), lt: Buffer.from([TAG_META + 1]) };
export const ALL_DROPPED = { gte: Buffer.from([TAG_DROPPED]), lt: Buffer.from([TAG_DROPPED + 1]) };
export const ALL_DEDUP = { gte: Buffer.from([TAG_DEDUP]), lt: Buffer.from([TAG_DEDUP + 1]) };

export function metaKey(key: string): Buffer {
  return Buffer.concat([Buffer.from([TAG_META]), Buffer.from(key, 'utf8')]);
}

export function droppedKey(stream: string): Buffer {
  return Buffer.concat([Buffer.from([TAG_DROPPED]), Buffer.from(stream, 'utf8')]);
}

export function dedupKey(key: string): Buffer {
  return Buffer.concat([Buffer.from([TAG_DEDUP]), Buffer.from(key, 'utf8')]);
}

export function systemKey(name: string): Buffer {
  return Buffer.concat([Buffer.from([TAG_SYSTEM]), Buffer.from(name, 'utf8')]);
}

/** The name after the one-byte tag of a meta, dropped, dedup or system key. */
export function keyName(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('utf8', 1);
}

export function encodeU64(value: number): Buffer {
  const buf = Buffer.allocUnsafe(8);
  writeU64(buf, value, 0);
  return buf;
}

export function decodeU64(bytes: Uint8Array): number {
  const buf = asBuffer(bytes);
  if (buf.length !== 8) throw new RivuletError('AGENT_BUFFER', { message: `expected an 8-byte counter, got ${buf.length} bytes` });
  return readU64(buf, 0);
}

export function encodeRecordValue(record: RecordValue): Buffer {
  const keyBytes = Buffer.byteLength(record.partitionKey, 'utf8');
  if (keyBytes > MAX_PARTITION_KEY_BYTES) {
    throw new RivuletError('AGENT_INVALID_RECORD', { message: `partition key is ${keyBytes} bytes, more than ${MAX_PARTITION_KEY_BYTES}` });
  }
  const value = Buffer.allocUnsafe(VALUE_HEADER_BYTES + keyBytes + record.data.byteLength);
  let o = value.writeUInt8(VALUE_VERSION, 0);
  o = value.writeUInt16BE(keyBytes, o);
  o += value.write(record.partitionKey, o, 'utf8');
  o = value.writeDoubleBE(record.wallMs, o);
  o = value.writeDoubleBE(record.monoMs, o);
  value.set(record.data, o);
  return value;
}

export function decodeRecordValue(bytes: Uint8Array): RecordValue {
  const value = asBuffer(bytes);
  const keyBytes = value.length >= 3 ? value.readUInt16BE(1) : 0;
  if (value.length < VALUE_HEADER_BYTES || value[0] !== VALUE_VERSION || value.length < VALUE_HEADER_BYTES + keyBytes) {
    throw new RivuletError('AGENT_BUFFER', { message: `malformed buffer record value (${value.length} bytes, version ${value[0]})` });
  }
  const o = 3 + keyBytes;
  return {
    partitionKey: value.toString('utf8', 3, o),
    wallMs: value.readDoubleBE(o),
    monoMs: value.readDoubleBE(o + 8),
    data: value.subarray(o + 16),
  };
}

/** The byte length encodeRecordValue(record) will have. */
export function recordValueBytes(record: RecordValue): number {
  return VALUE_HEADER_BYTES + Buffer.byteLength(record.partitionKey, 'utf8') + record.data.byteLength;
}
