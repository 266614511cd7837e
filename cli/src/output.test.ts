import { describe, expect, it } from 'vitest';
import { Output, formatBytes, formatTable, printableText, recordJson, recordLine } from './output.js';

const sink = () => {
  const chunks: string[] = [];
  return { chunks, stream: { write: (c: string | Uint8Array) => (chunks.push(String(c)), true) } };
};

describe('output formatting', () => {
  it('shows printable UTF-8 as text and anything else as base64', () => {
    expect(printableText(Buffer.from('héllo\tworld\n'))).toBe('héllo\tworld\n');
    expect(printableText(Buffer.from([0xff, 0xfe]))).toBeNull();
    expect(printableText(Buffer.from('a\u0000b'))).toBeNull();
    const record = { SequenceNumber: '1', PartitionKey: 'k', Data: Buffer.from([0, 1, 2]), ApproximateArrivalTimestamp: new Date(0) };
    expect(recordLine(record, 'shardId-000000000000')).toBe('shardId-000000000000\tk\tbase64:AAEC');
    expect(recordLine({ ...record, Data: Buffer.from('a\nb\n') }, 's')).toBe('s\tk\ta\\nb');
  });

  it('gives every record field in JSON, with Data in base64 and Text when printable', () => {
    const json = recordJson({ SequenceNumber: '9', PartitionKey: 'k', Data: Buffer.from('hi'), ApproximateArrivalTimestamp: new Date(1000) }, 's-1');
    expect(json).toEqual({ ShardId: 's-1', SequenceNumber: '9', PartitionKey: 'k', ApproximateArrivalTimestamp: '1970-01-01T00:00:01.000Z', Data: 'aGk=', Text: 'hi' });
  });

  it('aligns table columns and leaves the last one unpadded', () => {
    expect(formatTable([['NAME', 'SHARDS', 'STATUS'], ['orders', '2', 'ACTIVE'], ['a', '10', 'UPDATING']])).toEqual([
      'NAME    SHARDS  STATUS',
      'orders  2       ACTIVE',
      'a       10      UPDATING',
    ]);
  });

  it('prints byte counts with binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });

  it('writes JSON documents with dates as ISO strings, bytes as base64 and no SDK metadata', () => {
    const { chunks, stream } = sink();
    new Output(stream, true).jsonLine({ when: new Date(0), data: new Uint8Array([104, 105]), $metadata: { httpStatusCode: 200 } });
    expect(JSON.parse(chunks.join(''))).toEqual({ when: '1970-01-01T00:00:00.000Z', data: 'aGk=' });
  });
});
