/**
 * Chunk bodies: the records one commit put into one shard, packed as
 *   flags u8 | then, per record: partitionKeyLength u16 | partitionKey utf8 | dataLength u32 | data
 * When flags bit 0 is set the bytes after the flag are a ChunkCipher envelope of that record list,
 * so no partition key or payload byte is stored in plaintext.
 */
import { RivuletError } from '@rivulet/shared';

export interface ChunkRecord {
  partitionKey: string;
  data: Uint8Array;
}

/** Encrypts and decrypts chunk bodies for streams with encryption on (see keystore/). */
export interface ChunkCipher {
  encrypt(keyId: string, plaintext: Uint8Array): Buffer;
  decrypt(envelope: Uint8Array): Buffer;
}

const FLAG_ENCRYPTED = 1;

export function encodeChunk(records: readonly ChunkRecord[], encryption: { cipher: ChunkCipher; keyId: string } | null): Buffer {
  let size = 1;
  const keys: Buffer[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const key = Buffer.from(records[i]!.partitionKey, 'utf8');
    keys[i] = key;
    size += 6 + key.byteLength + records[i]!.data.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = 0;
  let offset = 1;
  for (let i = 0; i < records.length; i++) {
    const key = keys[i]!;
    const data = records[i]!.data;
    out.writeUInt16BE(key.byteLength, offset);
    key.copy(out, offset + 2);
    offset += 2 + key.byteLength;
    out.writeUInt32BE(data.byteLength, offset);
    out.set(data, offset + 4);
    offset += 4 + data.byteLength;
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

/** Decodes `count` records; `cipher` is needed only for encrypted chunks. */
export function decodeChunk(body: Uint8Array, count: number, cipher: ChunkCipher | null): ChunkRecord[] {
  let plain = Buffer.from(body.buffer, body.byteOffset, body.byteLength).subarray(1);
  if (isEncryptedChunk(body)) {
    if (!cipher) throw new RivuletError('STREAMS_STORAGE', { message: 'encrypted chunk found but no key store is configured' });
    plain = cipher.decrypt(plain);
  }
  const records: ChunkRecord[] = new Array(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const keyLength = plain.readUInt16BE(offset);
    const partitionKey = plain.toString('utf8', offset + 2, offset + 2 + keyLength);
    offset += 2 + keyLength;
    const dataLength = plain.readUInt32BE(offset);
    records[i] = { partitionKey, data: plain.subarray(offset + 4, offset + 4 + dataLength) };
    offset += 4 + dataLength;
  }
  return records;
}
