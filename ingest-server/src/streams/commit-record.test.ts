import { describe, expect, it } from 'vitest';
import { decodeCommit, encodeCommit } from './commit-record.js';

describe('commit records', () => {
  it('round-trips chunks and producer state, and points at each body inside the payload', () => {
    const request = {
      chunks: [
        { streamId: 3, shardIndex: 1, firstPosition: 2 ** 40, count: 2, arrivalMs: 1_700_000_000_123, body: Buffer.from('first body') },
        { streamId: 3, shardIndex: 2, firstPosition: 0, count: 1, arrivalMs: 1_700_000_000_124, body: Buffer.from('second') },
      ],
      producer: { producerId: 'cam-ü', state: '{"seq":1}' },
    };
    const { pieces, byteLength, bodyOffsets } = encodeCommit(request);
    const payload = Buffer.concat(pieces);
    expect(payload.byteLength).toBe(byteLength);
    const decoded = decodeCommit(payload);
    expect(decoded.producer).toEqual(request.producer);
    expect(decoded.chunks.map((c) => c.bodyOffset)).toEqual(bodyOffsets);
    decoded.chunks.forEach((c, i) => {
      const { body, ...meta } = request.chunks[i]!;
      expect(c).toMatchObject(meta);
      expect(payload.subarray(c.bodyOffset, c.bodyOffset + c.bodyLength).toString()).toBe(body.toString());
    });
  });

  it('encodes a commit without producer state', () => {
    const { pieces } = encodeCommit({ chunks: [] });
    expect(decodeCommit(Buffer.concat(pieces))).toEqual({ chunks: [] });
  });
});
