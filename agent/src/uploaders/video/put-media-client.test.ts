import { describe, expect, it } from 'vitest';
import { AckParser } from './put-media-client.js';

describe('AckParser', () => {
  it('reads acks split anywhere across chunks, with or without newlines between them', () => {
    const stream = '{"EventType":"BUFFERING","FragmentTimecode":0,"FragmentNumber":"0001"}\n{"EventType":"RECEIVED","FragmentTimecode":0,"FragmentNumber":"0001"}{"EventType":"PERSISTED","FragmentTimecode":0,"FragmentNumber":"0001"}';
    for (const cut of [1, 7, 30, 71, 72, 100, stream.length - 1]) {
      const parser = new AckParser();
      const acks = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))];
      expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    }
  });

  it('keeps braces inside strings from ending an object', () => {
    const parser = new AckParser();
    expect(parser.push('{"EventType":"ERROR","ErrorId":4006,"ErrorCode":"INVALID_MKV_DATA {\\"x\\"}"}')).toEqual([
      { EventType: 'ERROR', ErrorId: 4006, ErrorCode: 'INVALID_MKV_DATA {"x"}' },
    ]);
  });

  it('refuses bytes that are not acknowledgements', () => {
    expect(() => new AckParser().push('<html>')).toThrow(/expected a JSON object/);
    expect(() => new AckParser().push('{"EventType":"NOPE"}')).toThrow(/not a PutMedia acknowledgement/);
  });
});
