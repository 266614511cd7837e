import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_FORMAT,
  ENVELOPE_OVERHEAD_BYTES,
  HEADER_BYTES,
  IV_BYTES,
  bytesToUuid,
  openBytes,
  openEnvelope,
  readEnvelopeHeader,
  sealBytes,
  sealEnvelope,
  uuidToBytes,
} from './envelope.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const key = createSecretKey(randomBytes(32));

function storageError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('envelope', () => {
  it('lays out format | keyId | keyVersion | iv | tag | ciphertext', () => {
    const iv = randomBytes(IV_BYTES);
    const envelope = sealEnvelope(key, uuidToBytes(KEY_ID), 7, iv, Buffer.from('hello'));
    expect(envelope.byteLength).toBe(ENVELOPE_OVERHEAD_BYTES + 5);
    expect(envelope[0]).toBe(ENVELOPE_FORMAT);
    expect(envelope.subarray(1, 17).toString('hex')).toBe(KEY_ID.replaceAll('-', ''));
    expect(envelope.readUInt32BE(17)).toBe(7);
    expect(envelope.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES).equals(iv)).toBe(true);
    expect(readEnvelopeHeader(envelope)).toEqual({ keyId: KEY_ID, keyVersion: 7 });
  });

  it('round-trips any plaintext, including empty and Uint8Array views', () => {
    const backing = randomBytes(4096);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 10, 1000);
    for (const plain of [new Uint8Array(0), view, randomBytes(100_000)]) {
      const envelope = sealEnvelope(key, uuidToBytes(KEY_ID), 1, randomBytes(IV_BYTES), plain);
      const sub = new Uint8Array(envelope.buffer, envelope.byteOffset, envelope.byteLength);
      expect(Buffer.compare(openEnvelope(key, sub), Buffer.from(plain))).toBe(0);
    }
  });

  it('rejects a flipped bit in any part of the envelope', () => {
    const envelope = sealEnvelope(key, uuidToBytes(KEY_ID), 1, randomBytes(IV_BYTES), randomBytes(64));
    // keyId, keyVersion, iv, tag, ciphertext: each is covered by the tag or is the tag.
    for (const at of [1, 20, HEADER_BYTES + 1, HEADER_BYTES + IV_BYTES + 1, ENVELOPE_OVERHEAD_BYTES + 3]) {
      const bad = Buffer.from(envelope);
      bad[at]! ^= 0x01;
      const err = storageError(() => openEnvelope(key, bad));
      expect(err.code).toBe('STREAMS_STORAGE');
    }
  });

  it('rejects truncated envelopes and unknown formats before touching a key', () => {
    const envelope = sealEnvelope(key, uuidToBytes(KEY_ID), 1, randomBytes(IV_BYTES), randomBytes(8));
    expect(storageError(() => readEnvelopeHeader(envelope.subarray(0, ENVELOPE_OVERHEAD_BYTES - 1))).message).toMatch(/shorter than an envelope header/);
    const future = Buffer.from(envelope);
    future[0] = 2;
    expect(storageError(() => readEnvelopeHeader(future)).message).toMatch(/unknown envelope format 2/);
  });

  it('refuses an IV of the wrong length', () => {
    expect(storageError(() => sealEnvelope(key, uuidToBytes(KEY_ID), 1, randomBytes(8), randomBytes(8))).code).toBe('STREAMS_STORAGE');
  });

  it('converts UUIDs to 16 bytes and back, lower-casing them', () => {
    expect(uuidToBytes(KEY_ID.toUpperCase()).byteLength).toBe(16);
    expect(bytesToUuid(uuidToBytes(KEY_ID.toUpperCase()))).toBe(KEY_ID);
    expect(storageError(() => uuidToBytes('not-a-uuid')).code).toBe('STREAMS_STORAGE');
  });

  it('seals small secrets bound to their AAD', () => {
    const secret = randomBytes(32);
    const sealed = sealBytes(key, randomBytes(IV_BYTES), Buffer.from('slot-a'), secret);
    expect(openBytes(key, Buffer.from('slot-a'), sealed).equals(secret)).toBe(true);
    expect(storageError(() => openBytes(key, Buffer.from('slot-b'), sealed)).code).toBe('STREAMS_STORAGE');
    expect(storageError(() => openBytes(createSecretKey(randomBytes(32)), Buffer.from('slot-a'), sealed)).code).toBe('STREAMS_STORAGE');
  });
});
