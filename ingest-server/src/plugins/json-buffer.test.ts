import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, MAX_DEPTH, parseJsonBuffer } from './json-buffer.js';

const parse = (text: string) => parseJsonBuffer(Buffer.from(text, 'utf8'));

function outcome(f: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: f() };
  } catch {
    return { ok: false };
  }
}

/** mulberry32: a seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseJsonBuffer', () => {
  it('parses what JSON.parse parses, to the same value', () => {
    const samples = [
      '{}',
      '[]',
      ' { "a" : [1, -2.5e3, 0, 0.25, true, false, null], "b": {"c": "d"} } ',
      '"plain"',
      '"esc\\"aped \\\\ \\n \\u00e9 \\ud83d\\ude00"',
      '"ünïcödé ✓"',
      '{"StreamName":"s","Records":[{"Data":"AAEC","PartitionKey":"k"},{"Data":"","PartitionKey":"é"}]}',
      '1e-7',
      '-0',
      '{"a":1,"a":2}',
      '[[[[[]]]]]',
    ];
    for (const text of samples) expect(parse(text)).toEqual(JSON.parse(text));
  });

  it('refuses what JSON.parse refuses', () => {
    const bad = ['', ' ', '{', '{"a":}', '{"a" 1}', '{a:1}', "{'a':1}", '[1,]', '{"a":1,}', '01', '1.', '.5', '+1', '--1', '1e', 'tru', 'nul', 'True', '"open', '"bad \\x escape"', '[1 2]', '{} {}', '"\\u12"', 'NaN', 'Infinity'];
    for (const text of bad) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(() => parse(text), text).toThrow(JsonSyntaxError);
    }
  });

  it('makes "__proto__" an own property, never the prototype', () => {
    const value = parse('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than MAX_DEPTH instead of exhausting the stack', () => {
    expect(() => parse('['.repeat(MAX_DEPTH + 2) + ']'.repeat(MAX_DEPTH + 2))).toThrow(/nested too deeply/);
    expect(() => parse('['.repeat(100_000))).toThrow(JsonSyntaxError);
  });

  it('agrees with JSON.parse on 20,000 random mutations of valid documents', () => {
    const random = prng(1234);
    const base = '{"StreamName":"s-1","Records":[{"Data":"QUJD","PartitionKey":"p\\u00e9"},{"Data":"","ExplicitHashKey":"12"}],"Limit":10,"x":[true,false,null,-1.5e2]}';
    const alphabet = '{}[],:"\\ 0123456789-+.eEtrufalsn\u00e9\ta';
    for (let i = 0; i < 20_000; i++) {
      const chars = [...base];
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * chars.length);
        const op = random();
        const ch = alphabet[Math.floor(random() * alphabet.length)]!;
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, ch);
        else chars[at] = ch;
      }
      const text = chars.join('');
      // Raw control characters in strings are the one deliberate difference.
      if (/[\u0000-\u001f]/.test(text)) continue;
      const expected = outcome(() => JSON.parse(text));
      const actual = outcome(() => parse(text));
      expect(actual, text).toEqual(expected);
    }
  });
});
