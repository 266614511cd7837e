import { RivuletError } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { compileMetadataQuery, extractPartitionKeys, METADATA_EXTRACTION_FAILED } from './partitioning.js';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

function compileError(query: string): RivuletError {
  try {
    compileMetadataQuery(query);
  } catch (err) {
    expect(err).toBeInstanceOf(RivuletError);
    return err as RivuletError;
  }
  throw new Error(`expected ${query} to be rejected`);
}

describe('compileMetadataQuery', () => {
  it('compiles the AWS example query into key paths', () => {
    expect(compileMetadataQuery('{customer_id:.customer_id, device:.type.device}')).toEqual({
      keys: [
        { name: 'customer_id', path: ['customer_id'] },
        { name: 'device', path: ['type', 'device'] },
      ],
    });
  });

  it('accepts quoted keys, bracketed and quoted fields, array indexes and the {name} shorthand', () => {
    const q = compileMetadataQuery(' { "my key" : .["a b"].c[0] , second: ."x y"[-1], shorthand, nested: .[2].z } ');
    expect(q.keys).toEqual([
      { name: 'my key', path: ['a b', 'c', 0] },
      { name: 'second', path: ['x y', -1] },
      { name: 'shorthand', path: ['shorthand'] },
      { name: 'nested', path: [2, 'z'] },
    ]);
  });

  it('rejects pipes and functions with FIREHOSE_INVALID_ARGUMENT naming the position', () => {
    const err = compileError('{year:.ts| strftime("%Y")}');
    expect(err.code).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(err.message).toContain('position 9');
    expect(err.message).toContain("'|'");
  });

  it.each([
    ['.customer_id', 0],
    ['{a:.}', 4],
    ['{a:.b', 5],
    ['{a .b}', 3],
    ['{}', 0],
    ['{a:.b, a:.c}', 7],
    ['{a:.b} extra', 7],
    ['{"unterminated:.b}', 1],
    ['{a:.b[x]}', 6],
  ])('rejects %s at position %i', (query, position) => {
    const err = compileError(query);
    expect(err.code).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(err.message).toContain(`position ${position}:`);
  });
});

describe('extractPartitionKeys', () => {
  const q = compileMetadataQuery('{customer_id:.customer_id, device:.type.device, first:.tags[0], last:.tags[-1]}');

  it('stringifies strings, numbers and booleans the way jq prints them', () => {
    const r = extractPartitionKeys(q, json({ customer_id: 1234567890, type: { device: 'mobile' }, tags: [true, 2.5] }));
    expect(r).toEqual({ ok: true, keys: { customer_id: '1234567890', device: 'mobile', first: 'true', last: '2.5' } });
  });

  it('prints integral doubles without a fraction, as jq 1.6 does', () => {
    const r = extractPartitionKeys(compileMetadataQuery('{n:.n}'), Buffer.from('{"n": 10.0}'));
    expect(r).toEqual({ ok: true, keys: { n: '10' } });
  });

  it('fails the record when it is not JSON', () => {
    expect(extractPartitionKeys(q, Buffer.from('not json'))).toEqual({
      ok: false,
      errorCode: METADATA_EXTRACTION_FAILED,
      errorMessage: 'Non JSON record provided',
    });
  });

  it('fails the record when a key is missing or null', () => {
    const missing = extractPartitionKeys(q, json({ type: { device: 'mobile' }, tags: [1] }));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.errorMessage).toContain('customer_id');
    const nullParent = extractPartitionKeys(q, json({ customer_id: 'c', type: null, tags: [1] }));
    expect(nullParent.ok).toBe(false);
    if (!nullParent.ok) expect(nullParent.errorMessage).toContain('device (.type.device) resolved to null');
  });

  it('fails the record when a key resolves to an object or array', () => {
    const r = extractPartitionKeys(compileMetadataQuery('{t:.type}'), json({ type: { device: 'x' } }));
    expect(r).toMatchObject({ ok: false, errorCode: METADATA_EXTRACTION_FAILED });
    if (!r.ok) expect(r.errorMessage).toContain('resolved to object');
  });

  it('fails the record when a path indexes the wrong type', () => {
    const r = extractPartitionKeys(compileMetadataQuery('{d:.type.device}'), json({ type: 'flat' }));
    expect(r).toMatchObject({ ok: false, errorCode: METADATA_EXTRACTION_FAILED });
    if (!r.ok) expect(r.errorMessage).toContain('Cannot index string');
    const arr = extractPartitionKeys(compileMetadataQuery('{d:.a[0]}'), json({ a: { '0': 'x' } }));
    expect(arr.ok).toBe(false);
  });

  it('does not resolve inherited properties such as __proto__ or toString', () => {
    const r = extractPartitionKeys(compileMetadataQuery('{a:.toString}'), json({}));
    expect(r.ok).toBe(false);
  });
});
