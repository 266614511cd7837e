import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, checkData } from './put-entries.js';

describe('checkData', () => {
  it('returns the decoded length of valid, padded base64', () => {
    expect(checkData('', 'data')).toBe(0);
    expect(checkData(Buffer.from('a').toString('base64'), 'data')).toBe(1);
    expect(checkData(Buffer.from('ab').toString('base64'), 'data')).toBe(2);
    expect(checkData(Buffer.from('abc').toString('base64'), 'data')).toBe(3);
    expect(checkData(Buffer.alloc(1000, 7).toString('base64'), 'data')).toBe(1000);
  });

  it('refuses characters outside the alphabet, bad lengths and misplaced padding', () => {
    for (const bad of ['AAA', 'AA A', 'AA*A', 'A=AA', '====', 'AAAA\n', 'ü===']) {
      expect(() => checkData(bad, 'records.1.member.data')).toThrow(expect.objectContaining({ awsType: 'SerializationException' }));
    }
  });

  it('refuses data over 1 MiB with ValidationException', () => {
    const big = Buffer.alloc(MAX_RECORD_BYTES + 1).toString('base64');
    expect(() => checkData(big, 'data')).toThrow(expect.objectContaining({ awsType: 'ValidationException' }));
    expect(checkData(Buffer.alloc(MAX_RECORD_BYTES).toString('base64'), 'data')).toBe(MAX_RECORD_BYTES);
  });
});
