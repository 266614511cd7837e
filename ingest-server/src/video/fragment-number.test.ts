import { describe, expect, it } from 'vitest';
import { FRAGMENT_NUMBER_DIGITS, formatFragmentNumber, isFragmentNumber, parseFragmentNumber } from './fragment-number.js';

describe('fragment numbers', () => {
  it('are fixed-width, so string order is numeric order', () => {
    const numbers = [1, 9, 10, 99, 100, 2 ** 40, Number.MAX_SAFE_INTEGER].map(formatFragmentNumber);
    expect(numbers.every((n) => n.length === FRAGMENT_NUMBER_DIGITS)).toBe(true);
    expect([...numbers].sort()).toEqual(numbers);
    expect(parseFragmentNumber(formatFragmentNumber(12345))).toBe(12345);
  });

  it('accept only their own format, never a path', () => {
    for (const bad of ['', '1', '../00000000000000001', '0000000000000000000a', '000000000000000000001', '00000000000000000001/']) {
      expect(isFragmentNumber(bad)).toBe(false);
    }
    expect(() => parseFragmentNumber('../x')).toThrow(/not a fragment number/);
    expect(() => formatFragmentNumber(-1)).toThrow(/out of range/);
  });
});
