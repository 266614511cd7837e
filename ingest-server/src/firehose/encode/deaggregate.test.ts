import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { deaggregateKpl, KPL_MAGIC, splitSubRecords } from './deaggregate.js';

// A tiny protobuf encoder, independent of the reader under test.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}
const key = (field: number, wireType: number) => varint(field * 8 + wireType);
const lenField = (field: number, body: Buffer) => Buffer.concat([key(field, 2), varint(body.length), body]);
const varintField = (field: number, n: number) => Buffer.concat([key(field, 0), varint(n)]);

interface UserRecord {
  partitionKeyIndex: number;
  explicitHashKeyIndex?: number;
  data: Buffer;
  tags?: { key: string; value?: string }[];
}

function encodeAggregated(partitionKeys: string[], explicitHashKeys: string[], records: UserRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const pk of partitionKeys) parts.push(lenField(1, Buffer.from(pk)));
  for (const ehk of explicitHashKeys) parts.push(lenField(2, Buffer.from(ehk)));
  for (const r of records) {
    const fields = [varintField(1, r.partitionKeyIndex)];
    if (r.explicitHashKeyIndex !== undefined) fields.push(varintField(2, r.explicitHashKeyIndex));
    fields.push(lenField(3, r.data));
    for (const t of r.tags ?? []) {
      const tag = [lenField(1, Buffer.from(t.key))];
      if (t.value !== undefined) tag.push(lenField(2, Buffer.from(t.value)));
      fields.push(lenField(4, Buffer.concat(tag)));
    }
    parts.push(lenField(3, Buffer.concat(fields)));
  }
  return Buffer.concat(parts);
}

function wrap(message: Buffer, md5 = createHash('md5').update(message).digest()): Buffer {
  return Buffer.concat([KPL_MAGIC, message, md5]);
}

describe('deaggregateKpl', () => {
  const userData = [Buffer.from('{"id":1}'), Buffer.alloc(0), randomBytes(300), Buffer.from('third')];
  const message = encodeAggregated(
    ['pk-a', 'pk-b'],
    ['170141183460469231731687303715884105728'],
    [
      { partitionKeyIndex: 0, data: userData[0]! },
      { partitionKeyIndex: 1, explicitHashKeyIndex: 0, data: userData[1]! },
      { partitionKeyIndex: 0, data: userData[2]!, tags: [{ key: 'k', value: 'v' }, { key: 'bare' }] },
      { partitionKeyIndex: 1, data: userData[3]! },
    ],
  );

  it('returns the user records of an aggregated record in order', () => {
    const out = deaggregateKpl(wrap(message));
    expect(out.map((b) => b.toString('hex'))).toEqual(userData.map((b) => b.toString('hex')));
  });

  it('skips fields it does not know', () => {
    const withUnknown = Buffer.concat([message, varintField(9, 5), Buffer.concat([key(10, 1), Buffer.alloc(8)]), Buffer.concat([key(11, 5), Buffer.alloc(4)])]);
    expect(deaggregateKpl(wrap(withUnknown))).toHaveLength(4);
  });

  it('returns an aggregated record with no user records as nothing', () => {
    expect(deaggregateKpl(wrap(Buffer.alloc(0)))).toEqual([]);
  });

  it('passes a record with a bad MD5 through unchanged', () => {
    const bad = wrap(message, Buffer.alloc(16, 7));
    const out = deaggregateKpl(bad);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(bad);
  });

  it('passes a non-aggregated record through unchanged', () => {
    const plain = Buffer.from('{"plain":true}');
    expect(deaggregateKpl(plain)).toEqual([plain]);
    const shortMagic = Buffer.concat([KPL_MAGIC, Buffer.alloc(3)]);
    expect(deaggregateKpl(shortMagic)).toEqual([shortMagic]);
  });

  it('passes a record whose protobuf is malformed through unchanged, even with a matching MD5', () => {
    const truncated = wrap(message.subarray(0, message.length - 3));
    expect(deaggregateKpl(truncated)).toEqual([truncated]);
    // A Record with no data field: `data` is required in the proto2 schema.
    const missingData = wrap(Buffer.concat([lenField(1, Buffer.from('pk')), lenField(3, varintField(1, 0))]));
    expect(deaggregateKpl(missingData)).toEqual([missingData]);
  });

  it('passes a record whose partition key index is out of the table through unchanged', () => {
    const bad = wrap(encodeAggregated(['only'], [], [{ partitionKeyIndex: 3, data: Buffer.from('x') }]));
    expect(deaggregateKpl(bad)).toEqual([bad]);
  });
});

describe('splitSubRecords', () => {
  const texts = (bufs: Buffer[]) => bufs.map((b) => b.toString('utf8'));

  it('splits concatenated JSON objects', () => {
    expect(texts(splitSubRecords(Buffer.from('{"a":1}{"b":{"c":[1,{"d":2}]}}'), 'JSON'))).toEqual(['{"a":1}', '{"b":{"c":[1,{"d":2}]}}']);
  });

  it('splits newline-separated JSON objects and drops blank lines', () => {
    expect(texts(splitSubRecords(Buffer.from('{"a":1}\n\n{"a":2}\r\n  {"a":3}\n'), 'JSON'))).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
  });

  it('ignores braces and escaped quotes inside strings', () => {
    const input = '{"s":"}{\\"}"}{"t":"\\\\"}';
    expect(texts(splitSubRecords(Buffer.from(input), 'JSON'))).toEqual(['{"s":"}{\\"}"}', '{"t":"\\\\"}']);
  });

  it('returns nothing for empty or blank input', () => {
    expect(splitSubRecords(Buffer.alloc(0), 'JSON')).toEqual([]);
    expect(splitSubRecords(Buffer.from(' \n'), 'JSON')).toEqual([]);
  });

  it('throws FIREHOSE_INVALID_ARGUMENT on JSON that does not split cleanly', () => {
    for (const bad of ['{"a":1', '{"a":1} trailing', '[1,2]', '{"a":1,}', '{"a":"unterminated}']) {
      const err = (() => {
        try {
          splitSubRecords(Buffer.from(bad), 'JSON');
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err, bad).toBeInstanceOf(RivuletError);
      expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    }
  });

  it('splits on a multi-byte delimiter and drops empty pieces', () => {
    const delimiter = Buffer.from('fHw=', 'base64'); // "||"
    expect(texts(splitSubRecords(Buffer.from('||a||b||||c||'), 'DELIMITED', delimiter))).toEqual(['a', 'b', 'c']);
    expect(texts(splitSubRecords(Buffer.from('no delimiter'), 'DELIMITED', delimiter))).toEqual(['no delimiter']);
    expect(splitSubRecords(Buffer.alloc(0), 'DELIMITED', delimiter)).toEqual([]);
  });

  it('rejects DELIMITED without a delimiter', () => {
    expect(() => splitSubRecords(Buffer.from('a,b'), 'DELIMITED')).toThrow(RivuletError);
    expect(() => splitSubRecords(Buffer.from('a,b'), 'DELIMITED', Buffer.alloc(0))).toThrow(RivuletError);
  });
});
