import { describe, expect, it } from 'vitest';
import { parseFailpoints } from './failpoints.js';

describe('failpoints', () => {
  it('fires the kill on the nth hit, and only then', () => {
    let kills = 0;
    const points = parseFailpoints('after-append=kill@3', () => kills++);
    points.hit('after-append');
    points.hit('after-append');
    expect(kills).toBe(0);
    points.hit('after-append');
    expect(kills).toBe(1);
  });

  it('does nothing when unset', () => {
    let kills = 0;
    const points = parseFailpoints(undefined, () => kills++);
    for (let i = 0; i < 5; i++) points.hit('after-append');
    expect(kills).toBe(0);
  });

  it('refuses a spec it does not understand, so a typo cannot silently disarm a crash test', () => {
    expect(() => parseFailpoints('after-apend=kill@3', () => undefined)).toThrow(/RIVULET_FAILPOINTS: "after-apend=kill@3"/);
    expect(() => parseFailpoints('after-append=kill@0', () => undefined)).toThrow(/kill@<n ≥ 1>/);
    expect(() => parseFailpoints('after-append=panic@2', () => undefined)).toThrow(/RIVULET_FAILPOINTS/);
  });
});
