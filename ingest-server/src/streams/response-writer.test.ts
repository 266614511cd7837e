import { describe, expect, it } from 'vitest';
import { ResponseWriter } from './response-writer.js';

describe('ResponseWriter', () => {
  it('joins text and bytes in order across 64 KiB block boundaries', () => {
    const w = new ResponseWriter();
    const expected: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = `{"n":${i},"pad":"${'x'.repeat(i % 97)}"`;
      const bytes = Buffer.alloc((i * 37) % 200, i % 256);
      w.text(text);
      w.bytes(bytes);
      expected.push(Buffer.from(text, 'latin1'), bytes);
    }
    w.bytes(Buffer.alloc(200_000, 7));
    expected.push(Buffer.alloc(200_000, 7));
    const blocks = w.finish();
    const joined = Buffer.concat(blocks);
    expect(joined.equals(Buffer.concat(expected))).toBe(true);
    expect(w.byteLength).toBe(joined.byteLength);
    expect(blocks.every((b) => b.byteLength <= 64 * 1024)).toBe(true);
  });

  it('returns no blocks for an empty body', () => {
    expect(new ResponseWriter().finish()).toEqual([]);
  });
});
