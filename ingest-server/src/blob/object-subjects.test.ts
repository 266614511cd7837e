import { createHash } from 'node:crypto';
import { Base64UrlPaddedCodec } from '@nats-io/obj';
import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { digestMatches, ObjectSubjects, parseObjectMeta } from './object-subjects.js';

describe('ObjectSubjects', () => {
  const subjects = new ObjectSubjects('rivulet-blobs');

  it('names the stream and subjects as @nats-io/obj writes them', () => {
    expect(subjects.stream).toBe('OBJ_rivulet-blobs');
    for (const name of ['a', 'ab', 'abc', '1/00000000000000000001.mkv', 'x'.repeat(512)]) {
      expect(subjects.metaSubject(name)).toBe(`$O.rivulet-blobs.M.${Base64UrlPaddedCodec.encode(name)}`);
      expect(subjects.nameOf(subjects.metaSubject(name))).toBe(name);
    }
    expect(subjects.chunkSubject('ABC123')).toBe('$O.rivulet-blobs.C.ABC123');
    expect(subjects.nameOf('$O.other.M.YQ==')).toBeNull();
  });

  it('refuses a bucket name JetStream cannot take', () => {
    expect(() => new ObjectSubjects('a.b')).toThrow(RivuletError);
  });
});

describe('parseObjectMeta and digestMatches', () => {
  it('parses metadata and checks bytes against its SHA-256 digest', () => {
    const bytes = Buffer.from('fragment bytes');
    const digest = `SHA-256=${createHash('sha256').update(bytes).digest('base64url')}=`;
    const meta = parseObjectMeta(Buffer.from(JSON.stringify({ name: 'k', nuid: 'N1', size: bytes.length, chunks: 1, digest, bucket: 'b' })), 'm');
    expect(meta).toMatchObject({ nuid: 'N1', size: 14, chunks: 1 });
    expect(digestMatches(meta, bytes)).toBe(true);
    expect(digestMatches(meta, Buffer.from('fragment bytez'))).toBe(false);
    expect(digestMatches({ ...meta, digest: 'MD5=xx' }, bytes)).toBe(false);
  });

  it('refuses a body that is not object metadata as BLOB_STORAGE', () => {
    for (const body of ['not json', '{"name":"k"}', '{"name":"k","nuid":"../x","size":1,"chunks":1}']) {
      expect(() => parseObjectMeta(Buffer.from(body), 'm')).toThrow(expect.objectContaining({ code: 'BLOB_STORAGE' }));
    }
  });
});
