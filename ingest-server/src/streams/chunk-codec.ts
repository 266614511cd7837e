/**
 * Chunk bodies: the records one commit put into one shard, stored in the form GetRecords sends
 * them, so reading is a copy and not a re-encode:
 *   flags u8 | then, per record: keyLength u16 | partition key as a JSON string literal (utf8) |
 *                                dataLength u32 | data as base64 text (ascii)
 * When flags bit 0 is set the bytes after the flag are a ChunkCipher envelope of that record list,
 * so no partition key or payload byte is stored in plaintext.
 */
import { RivuletError } from '@rivulet/shared';

/** A record as PutRecords received it: the base64 text of its data, and its partition key. */
export interface ChunkInput {
  partitionKey: string;
  dataBase64: string;
}

/** A record as stored: both fields are ready to copy into a JSON response. */
export interface ChunkEntry {
  /** The partition key as a JSON string literal, quotes included. */
  partitionKeyJson: Uint8Array;
  /** The data's base64 text. */
  dataBase64: Uint8Array;
}

/** Encrypts and decrypts chunk bodies for streams with encryption on (see keystore/). */
export interface ChunkCipher {
  encrypt(keyId: string, plaintext: Uint8Array): Buffer;
  decrypt(envelope: Uint8Array): Buffer;
}

const FLAG_ENCRYPTED = 1;

export function encodeChunk(records: readonly ChunkInput[], encryption: { cipher: ChunkCipher; keyId: string } | null): Buffer {
  let size = 1;
  const keys: string[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const key = JSON.stringify(records[i]!.partitionKey);
    keys[i] = key;
    size += 6 + Buffer.byteLength(key) + records[i]!.dataBase64.length;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = 0;
  let offset = 1;
  for (let i = 0; i < records.length; i++) {
    const keyLength = out.write(keys[i]!, offset + 2, 'utf8');
    out.writeUInt16BE(keyLength, offset);
    offset += 2 + keyLength;
    const data = records[i]!.dataBase64;
    out.writeUInt32BE(data.length, offset);
    out.write(data, offset + 4, 'latin1');
    offset += 4 + data.length;
  }
  if (!encryption) return out;
  const envelope = encryption.cipher.encrypt(encryption.keyId, out.subarray(1));
  const sealed = Buffer.allocUnsafe(1 + envelope.byteLength);
  sealed[0] = FLAG_ENCRYPTED;
  envelope.copy(sealed, 1);
  return sealed;
}

export function isEncryptedChunk(body: Uint8Array): boolean {
  return (body[0]! & FLAG_ENCRYPTED) !== 0;
}

/** Decodes `count` records as views into the body; `cipher` is needed only for encrypted chunks. */
export function decodeChunk(body: Uint8Array, count: number, cipher: ChunkCipher | null): ChunkEntry[] {
  let plain = Buffer.from(body.buffer, body.byteOffset, body.byteLength).subarray(1);
  if (isEncryptedChunk(body)) {
    if (!cipher) throw new RivuletError('STREAMS_STORAGE', { message: 'encrypted chunk found but no key store is configured' });
    plain = cipher.decrypt(plain);
  }
  const records: ChunkEntry[] = new Array(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const keyLength = plain.readUInt16BE(offset);
    const partitionKeyJson = plain.subarray(offset + 2, offset + 2 + keyLength);
    offset += 2 + keyLength;
    const dataLength = plain.readUInt32BE(offset);
    records[i] = { partitionKeyJson, dataBase64: plain.subarray(offset + 4, offset + 4 + dataLength) };
    offset += 4 + dataLength;
  }
  return records;
}

/**
 * Where each record's base64 data lies in a chunk, without an object per record: the plain
 * (decrypted) body, and for record i its data at [spans[2i], spans[2i+1]). For bulk readers.
 */
export function chunkDataSpans(body: Uint8Array, count: number, cipher: ChunkCipher | null): { plain: Buffer; spans: Uint32Array } {
  let plain = Buffer.from(body.buffer, body.byteOffset, body.byteLength).subarray(1);
  if (isEncryptedChunk(body)) {
    if (!cipher) throw new RivuletError('STREAMS_STORAGE', { message: 'encrypted chunk found but no key store is configured' });
    plain = cipher.decrypt(plain);
  }
  const spans = new Uint32Array(count * 2);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    offset += 2 + ((plain[offset]! << 8) | plain[offset + 1]!);
    const dataLength = plain.readUInt32BE(offset);
    spans[2 * i] = offset + 4;
    spans[2 * i + 1] = offset + 4 + dataLength;
    offset += 4 + dataLength;
  }
  return { plain, spans };
}

const EQUALS = 0x3d;

/** How many bytes a (valid, padded) base64 text decodes to. */
export function decodedLength(base64: Uint8Array): number {
  const n = base64.length;
  if (n === 0) return 0;
  const padding = base64[n - 1] === EQUALS ? (base64[n - 2] === EQUALS ? 2 : 1) : 0;
  return (n / 4) * 3 - padding;
}

const BASE64_VALUES = (() => {
  const table = new Int16Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Decodes stored base64 (valid and padded: it was checked on the way in) into `out` at `at`,
 * straight from the bytes, without the intermediate string Buffer.from(text, 'base64') needs.
 * Returns the number of bytes written.
 */
export function decodeBase64Into(base64: Uint8Array, out: Uint8Array, at: number, from = 0, to = base64.length): number {
  const n = to - (to > from && base64[to - 1] === EQUALS ? (base64[to - 2] === EQUALS ? 2 : 1) : 0);
  let o = at;
  let i = from;
  for (; i + 4 <= n; i += 4) {
    const v = (BASE64_VALUES[base64[i]!]! << 18) | (BASE64_VALUES[base64[i + 1]!]! << 12) | (BASE64_VALUES[base64[i + 2]!]! << 6) | BASE64_VALUES[base64[i + 3]!]!;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const rest = n - i;
  if (rest >= 2) {
    const v = (BASE64_VALUES[base64[i]!]! << 18) | (BASE64_VALUES[base64[i + 1]!]! << 12) | (rest === 3 ? BASE64_VALUES[base64[i + 2]!]! << 6 : 0);
    out[o++] = v >> 16;
    if (rest === 3) out[o++] = (v >> 8) & 0xff;
  }
  return o - at;
}
