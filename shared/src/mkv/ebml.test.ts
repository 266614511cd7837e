import { describe, expect, it } from 'vitest';
import { readElementId, readElementSize, readUnsigned } from './ebml.js';

const b = (...bytes: number[]) => Buffer.from(bytes);

describe('EBML variable-length integers', () => {
  it('reads element ids with their marker bits kept', () => {
    expect(readElementId(b(0x1a, 0x45, 0xdf, 0xa3), 0, 4)).toEqual({ value: 0x1a45dfa3, length: 4 });
    expect(readElementId(b(0xa3), 0, 1)).toEqual({ value: 0xa3, length: 1 });
    expect(readElementId(b(0x42, 0x82), 0, 2)).toEqual({ value: 0x4282, length: 2 });
  });

  it('refuses ids longer than 4 bytes and the reserved all-ones and all-zeros ids', () => {
    expect(readElementId(b(0x08, 1, 2, 3, 4), 0, 5)).toBe('invalid');
    expect(readElementId(b(0x00), 0, 1)).toBe('invalid');
    expect(readElementId(b(0xff), 0, 1)).toBe('invalid');
    expect(readElementId(b(0x80), 0, 1)).toBe('invalid');
  });

  it('asks for more bytes when an id or size is cut', () => {
    expect(readElementId(b(0x1a, 0x45), 0, 2)).toBe('need-more');
    expect(readElementId(b(), 0, 0)).toBe('need-more');
    expect(readElementSize(b(0x01, 0, 0), 0, 3)).toBe('need-more');
  });

  it('reads sizes of 1 to 8 bytes, and all value bits set as unknown', () => {
    expect(readElementSize(b(0x82), 0, 1)).toEqual({ value: 2, length: 1 });
    expect(readElementSize(b(0x40, 0x02), 0, 2)).toEqual({ value: 2, length: 2 });
    expect(readElementSize(b(0x01, 0, 0, 0, 0, 0x01, 0, 0), 0, 8)).toEqual({ value: 65536, length: 8 });
    expect(readElementSize(b(0xff), 0, 1)).toEqual({ value: null, length: 1 });
    expect(readElementSize(b(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0, 8)).toEqual({ value: null, length: 8 });
    expect(readElementSize(b(0x00), 0, 1)).toBe('invalid');
  });

  it('refuses a size beyond Number.MAX_SAFE_INTEGER', () => {
    expect(readElementSize(b(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), 0, 8)).toBe('invalid');
  });

  it('reads big-endian unsigned integers, an empty one as 0', () => {
    expect(readUnsigned(b(0x0f, 0x42, 0x40), 0, 3)).toBe(1_000_000);
    expect(readUnsigned(b(), 0, 0)).toBe(0);
  });
});
