import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { chunkHeaderValues, decodeToken, encodeToken, JetStreamNames, parseChunkHeaders, POSITION_STRIDE } from './naming.js';

describe('JetStream naming', () => {
  const names = new JetStreamNames('rivulet');

  it('maps a stream to one JetStream stream and each shard to one subject', () => {
    expect(names.chunkStream(7)).toBe('rivulet-s7');
    expect(names.chunkSubjects(7)).toBe('rivulet.s7.>');
    expect(names.shardSubject(7, 3)).toBe('rivulet.s7.3');
    expect(names.chunkMsgId(7, 3, 120)).toBe('7/3/120');
    expect(names.streamIdOf('rivulet-s7')).toBe(7);
    expect(names.streamIdOf('other-s7')).toBeNull();
    expect(names.streamIdOf('rivulet-meta')).toBeNull();
  });

  it('encodes any name as one subject token and decodes it back', () => {
    for (const name of ['plain', 'with.dots', 'sp ace*>', 'ü-名前', '']) {
      const token = encodeToken(name);
      expect(token).toMatch(/^[0-9a-f]+$|^_$/);
      expect(decodeToken(token)).toBe(name);
      expect(names.metaNameOf('stream', names.metaSubject('stream', name))).toBe(name);
    }
  });

  it('refuses a prefix that is not a valid stream name and subject token', () => {
    expect(() => new JetStreamNames('a.b')).toThrow(RivuletError);
    expect(() => new JetStreamNames('')).toThrow(/storage prefix/);
  });

  it('round-trips chunk headers and names a bad one', () => {
    const h = new Map(chunkHeaderValues({ firstPosition: 9_007_199_254_740_000, count: 3, arrivalMs: 1_700_000_000_123 }));
    expect(parseChunkHeaders((n) => h.get(n) ?? '', 1, 'x#1')).toEqual({ firstPosition: 9_007_199_254_740_000, count: 3, arrivalMs: 1_700_000_000_123 });
    expect(() => parseChunkHeaders(() => '', 1, 'x#1')).toThrow(/x#1 has a bad Rivulet-Count/);
    const bad = new Map([...h, ['Rivulet-First-Position', 'x']]);
    expect(() => parseChunkHeaders((n) => bad.get(n) ?? '', 1, 'x#1')).toThrow(/x#1 has a bad Rivulet-First-Position/);
  });

  it('places an appended chunk (no position header) at its sequence times the stride', () => {
    const h = new Map(chunkHeaderValues({ count: 500, arrivalMs: 5 }));
    expect(h.has('Rivulet-First-Position')).toBe(false);
    expect(parseChunkHeaders((n) => h.get(n) ?? '', 42, 'x#42')).toEqual({ firstPosition: 42 * POSITION_STRIDE, count: 500, arrivalMs: 5 });
    expect(names.shardIndexOf(7, 'rivulet.s7.12')).toBe(12);
    expect(names.shardIndexOf(7, 'rivulet.s70.12')).toBeNull();
  });
});
