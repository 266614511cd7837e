import { describe, expect, it } from 'vitest';
import { decodeBase64Into, decodedLength } from './chunk-codec.js';
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
