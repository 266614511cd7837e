import { describe, expect, it } from 'vitest';
import { chunkDataSpans, decodeBase64Into, decodeChunk, decodedLength, encodeChunk } from './chunk-codec.js';
import { mulberry32 } from '../../../test/fixtures/prng.js';

describe('decodeBase64Into', () => {
  it('decodes exactly what Buffer.from(text, "base64") decodes, for every length and padding', () => {
    const random = mulberry32(7);
    for (let length = 0; length <= 200; length++) {
      for (let trial = 0; trial < 5; trial++) {
        const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
        const base64 = Buffer.from(bytes.toString('base64'), 'latin1');
        const out = Buffer.alloc(decodedLength(base64) + 3, 0xee);
        const written = decodeBase64Into(base64, out, 3);
        expect(written).toBe(length);
        expect(out.subarray(3, 3 + written).equals(bytes)).toBe(true);
        // Nothing before the offset is touched.
        expect(out.subarray(0, 3).equals(Buffer.from([0xee, 0xee, 0xee]))).toBe(true);
      }
    }
  });
});

describe('chunkDataSpans', () => {
  it('finds each record\'s base64 where decodeChunk does, and decodes it in place', () => {
    const random = mulberry32(11);
    const records = Array.from({ length: 40 }, (_, i) => {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 90) }, () => Math.floor(random() * 256)));
      return { partitionKey: `key-${i}-${'x'.repeat(i)}`, dataBase64: bytes.toString('base64') };
    });
    const body = encodeChunk(records, null);
    const entries = decodeChunk(body, records.length, null);
    const { plain, spans } = chunkDataSpans(body, records.length, null);
    const out = Buffer.alloc(10_000);
    records.forEach((r, i) => {
      const slice = plain.subarray(spans[2 * i], spans[2 * i + 1]);
      expect(Buffer.from(slice).equals(Buffer.from(entries[i]!.dataBase64))).toBe(true);
      const n = decodeBase64Into(plain, out, 0, spans[2 * i], spans[2 * i + 1]);
      expect(out.subarray(0, n).toString('base64')).toBe(r.dataBase64);
    });
  });
});
