/**
 * The ciphertext formats of the local key store, AES-256-GCM throughout. Owns byte layouts and
 * the cipher calls; does not own keys, their lookup or their storage (key-store.ts).
 *
 * Data envelope, as stored inside an encrypted chunk:
 *   format u8 (=1) | keyId 16 raw UUID bytes | keyVersion u32 BE | iv 12 | tag 16 | ciphertext
 * Invariants:
 * - The 21-byte header (format, keyId, keyVersion) is the GCM additional authenticated data, so
 *   the key id, and the version beside it, cannot be swapped without failing the tag check.
 * - The IV is supplied by the caller and must be fresh for every call under one key: a repeated
 *   (key, IV) pair breaks GCM. Random 96-bit IVs are safe for about 2^32 messages per key version
 *   (NIST SP 800-38D, 8.3), which is why key rotation exists.
 * - Plaintext is returned only after the tag has verified; nothing unauthenticated leaks out.
 *
 * Sealed bytes (used to wrap key material under the master key): iv 12 | tag 16 | ciphertext,
 * with caller-chosen AAD.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { RivuletError } from '@rivulet/shared';

export const ENVELOPE_FORMAT = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const KEY_ID_BYTES = 16;
/** format | keyId | keyVersion: the part that names the key, authenticated as AAD. */
export const HEADER_BYTES = 1 + KEY_ID_BYTES + 4;
/** Bytes an envelope adds to its plaintext. */
export const ENVELOPE_OVERHEAD_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES;
const ALGORITHM = 'aes-256-gcm';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The key named by an envelope, read before its key is known. */
export interface EnvelopeHeader {
  /** The UUID, lower case with dashes. */
  keyId: string;
  keyVersion: number;
}

export function uuidToBytes(uuid: string): Buffer {
  const lower = uuid.toLowerCase();
  if (!UUID_PATTERN.test(lower)) throw new RivuletError('STREAMS_STORAGE', { message: `not a UUID: ${uuid}` });
  return Buffer.from(lower.replaceAll('-', ''), 'hex');
}

export function bytesToUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function requireIv(iv: Uint8Array): void {
  if (iv.byteLength !== IV_BYTES) throw new RivuletError('STREAMS_STORAGE', { message: `an AES-GCM IV must be ${IV_BYTES} bytes, got ${iv.byteLength}` });
}

/** Encrypts plaintext into one envelope; one allocation for the result plus the cipher's own. */
export function sealEnvelope(key: KeyObject, keyIdBytes: Uint8Array, keyVersion: number, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  requireIv(iv);
  const out = Buffer.allocUnsafe(ENVELOPE_OVERHEAD_BYTES + plaintext.byteLength);
  out[0] = ENVELOPE_FORMAT;
  out.set(keyIdBytes, 1);
  out.writeUInt32BE(keyVersion, 1 + KEY_ID_BYTES);
  out.set(iv, HEADER_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(out.subarray(0, HEADER_BYTES));
  const body = cipher.update(plaintext);
  // GCM is a stream mode: final() yields no bytes, it only computes the tag.
  const tail = cipher.final();
  out.set(body, ENVELOPE_OVERHEAD_BYTES);
  out.set(tail, ENVELOPE_OVERHEAD_BYTES + body.byteLength);
  out.set(cipher.getAuthTag(), HEADER_BYTES + IV_BYTES);
  return out;
}

/** Reads which key and version an envelope needs; throws STREAMS_STORAGE if it is not one. */
export function readEnvelopeHeader(envelope: Uint8Array): EnvelopeHeader {
  if (envelope.byteLength < ENVELOPE_OVERHEAD_BYTES) {
    throw new RivuletError('STREAMS_STORAGE', { message: `encrypted chunk is ${envelope.byteLength} bytes, shorter than an envelope header` });
  }
  const buf = asBuffer(envelope);
  if (buf[0] !== ENVELOPE_FORMAT) throw new RivuletError('STREAMS_STORAGE', { message: `unknown envelope format ${buf[0]}` });
  return { keyId: bytesToUuid(buf.subarray(1, 1 + KEY_ID_BYTES)), keyVersion: buf.readUInt32BE(1 + KEY_ID_BYTES) };
}

/** Decrypts an envelope whose header has been read; throws STREAMS_STORAGE if the tag fails. */
export function openEnvelope(key: KeyObject, envelope: Uint8Array): Buffer {
  const header = readEnvelopeHeader(envelope);
  const buf = asBuffer(envelope);
  const iv = buf.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = buf.subarray(HEADER_BYTES + IV_BYTES, ENVELOPE_OVERHEAD_BYTES);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(buf.subarray(0, HEADER_BYTES));
    decipher.setAuthTag(tag);
    const body = decipher.update(buf.subarray(ENVELOPE_OVERHEAD_BYTES));
    const tail = decipher.final();
    return tail.byteLength === 0 ? body : Buffer.concat([body, tail]);
  } catch (e) {
    throw new RivuletError(
      'STREAMS_STORAGE',
      { message: `encrypted chunk failed authentication under key ${header.keyId} version ${header.keyVersion}: it was altered or damaged` },
      { cause: e },
    );
  }
}

/** Encrypts a small secret: iv | tag | ciphertext, bound to `aad`. */
export function sealBytes(key: KeyObject, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  requireIv(iv);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Reverses sealBytes; throws STREAMS_STORAGE when the key or the AAD differ or the bytes were altered. */
export function openBytes(key: KeyObject, aad: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.byteLength < IV_BYTES + TAG_BYTES) throw new RivuletError('STREAMS_STORAGE', { message: 'sealed value is too short' });
  const buf = asBuffer(sealed);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, buf.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(buf.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (e) {
    throw new RivuletError('STREAMS_STORAGE', { message: 'sealed value failed authentication' }, { cause: e });
  }
}
