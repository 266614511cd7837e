import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { decodeFragmentRef, encodeFragmentRef, fragmentPath, fragmentsRootFor, type FragmentRef } from './fragment-ref.js';

const ref: FragmentRef = {
  file: 'front-door/1800000000000-0-000004.mkv',
  producerTimestampMs: 1_800_000_008_000,
  durationMs: 2001,
  bytes: 125_000,
  monoMs: 8123.5,
  tags: { site: 'north' },
  gapBeforeMs: 1200,
};

describe('fragment ref', () => {
  it('round-trips through the buffer record data', () => {
    expect(decodeFragmentRef(encodeFragmentRef(ref))).toEqual(ref);
    const { gapBeforeMs: _, ...noGap } = ref;
    expect(decodeFragmentRef(encodeFragmentRef(noGap))).toEqual(noGap);
  });

  it('refuses data that is not a fragment reference, naming the field', () => {
    expect(() => decodeFragmentRef(Buffer.from('{"kind":"rivulet.health/1"}'))).toThrow(RivuletError);
    expect(() => decodeFragmentRef(Buffer.from(JSON.stringify({ ...ref, bytes: 0 })))).toThrow(/\/bytes/);
    expect(() => decodeFragmentRef(Buffer.from('not json'))).toThrow(/not JSON/);
  });

  it('resolves files under the fragments root beside the buffer, and never outside it', () => {
    const root = fragmentsRootFor('/var/lib/rivulet/buffer');
    expect(root).toBe('/var/lib/rivulet/buffer/video');
    expect(fragmentPath(root, ref)).toBe('/var/lib/rivulet/buffer/video/front-door/1800000000000-0-000004.mkv');
    expect(() => fragmentPath(root, { file: '../../../etc/passwd' })).toThrow(/outside/);
    expect(() => fragmentPath(root, { file: '/etc/passwd' })).toThrow(/outside/);
  });
});
