import { describe, expect, it } from 'vitest';
import {
  decodeRecordKey, decodeRecordValue, decodeU64, encodeRecordValue, encodeU64, recordKey, recordKeyBytes, recordValueBytes, streamRange,
} from './record-codec.js';

const inRange = (key: Buffer, range: { gte: Buffer; lt: Buffer }) => Buffer.compare(key, range.gte) >= 0 && Buffer.compare(key, range.lt) < 0;

describe('record codec', () => {
  it('round-trips a record value, including an empty partition key and empty data', () => {
    const records = [
      { partitionKey: 'sensor-ü-7', data: Buffer.from([0, 1, 2, 255]), wallMs: 1_700_000_000_123.5, monoMs: 42.25 },
      { partitionKey: '', data: Buffer.alloc(0), wallMs: -5, monoMs: 0 },
    ];
    for (const record of records) {
      const value = encodeRecordValue(record);
      expect(value.length).toBe(recordValueBytes(record));
      const decoded = decodeRecordValue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      expect({ ...decoded, data: Buffer.from(decoded.data) }).toEqual(record);
    }
  });

  it('spends 19 bytes on a value besides the partition key and the data', () => {
    expect(encodeRecordValue({ partitionKey: 'pk', data: Buffer.alloc(100), wallMs: 1, monoMs: 2 }).length).toBe(19 + 2 + 100);
  });

  it('refuses a value that is cut short or of an unknown version', () => {
    const value = encodeRecordValue({ partitionKey: 'abc', data: Buffer.from('x'), wallMs: 1, monoMs: 2 });
    expect(() => decodeRecordValue(value.subarray(0, 10))).toThrow(/malformed/);
    const future = Buffer.from(value);
    future[0] = 9;
    expect(() => decodeRecordValue(future)).toThrow(/version 9/);
  });

  it('refuses a partition key longer than Kinesis allows', () => {
    expect(() => encodeRecordValue({ partitionKey: 'k'.repeat(1025), data: Buffer.alloc(0), wallMs: 0, monoMs: 0 })).toThrow(/partition key/);
  });

  it('round-trips keys with seqs up to 2^53 and sorts them by stream, then seq', () => {
    for (const seq of [0, 1, 255, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
      expect(decodeRecordKey(recordKey('telemetry', seq))).toEqual({ stream: 'telemetry', seq });
    }
    expect(recordKey('a', 1).length).toBe(recordKeyBytes('a'));
    const keys = [recordKey('b', 1), recordKey('a', 2 ** 32), recordKey('ab', 0), recordKey('a', 3)];
    const sorted = [...keys].sort(Buffer.compare).map((k) => decodeRecordKey(k));
    expect(sorted).toEqual([{ stream: 'a', seq: 3 }, { stream: 'a', seq: 2 ** 32 }, { stream: 'b', seq: 1 }, { stream: 'ab', seq: 0 }]);
  });

  it("keeps one stream's range free of another stream whose name extends it", () => {
    const range = streamRange('a', 5);
    expect(inRange(recordKey('a', 5), range)).toBe(true);
    expect(inRange(recordKey('a', Number.MAX_SAFE_INTEGER), range)).toBe(true);
    expect(inRange(recordKey('a', 4), range)).toBe(false);
    expect(inRange(recordKey('ab', 6), range)).toBe(false);
  });

  it('refuses stream names that cannot be a key', () => {
    expect(() => recordKey('', 1)).toThrow(/stream name/);
    expect(() => recordKeyBytes('s'.repeat(256))).toThrow(/stream name/);
  });

  it('round-trips counters', () => {
    expect(decodeU64(encodeU64(2 ** 50 + 3))).toBe(2 ** 50 + 3);
  });
});
