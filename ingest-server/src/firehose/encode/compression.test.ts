import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { Decompressor } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import {
  compressObject,
  compressionContentType,
  compressionExtension,
  crc32c,
  HADOOP_SNAPPY_BLOCK_INPUT_BYTES,
  maskedCrc32c,
  SNAPPY_FRAME_MAX_INPUT_BYTES,
  type CompressionFormat,
} from './compression.js';
import { maskedCrc32c as referenceMaskedCrc32c, unblockHadoopSnappy, unframeSnappy } from '../../../../test/fixtures/snappy-formats.js';

/** The snappy package's own streaming framed decoder: an implementation independent of ours. */
async function libraryUnframe(data: Buffer): Promise<Buffer> {
  const d = new Decompressor();
  const head = d.update(data);
  const tail = await d.finish();
  return Buffer.concat([head, tail]);
}

function commandExists(name: string): boolean {
  return ['/usr/bin', '/bin', '/usr/local/bin'].some((dir) => existsSync(join(dir, name)));
}

const text = Buffer.from('{"ticker":"AMZN","price":123.45}\n'.repeat(5000));
const random = randomBytes(1024 * 1024);
const samples: [string, Buffer][] = [
  ['empty input', Buffer.alloc(0)],
  ['a short text', Buffer.from('hello firehose')],
  ['compressible JSON lines', text],
  ['1 MiB of random bytes', random],
];

describe('compressObject', () => {
  it('passes UNCOMPRESSED bodies through unchanged', async () => {
    expect((await compressObject('UNCOMPRESSED', text, 'x')).equals(text)).toBe(true);
  });

  for (const [label, input] of samples) {
    it(`round-trips ${label} through GZIP`, async () => {
      const out = await compressObject('GZIP', input, 'x');
      expect(out[0]).toBe(0x1f);
      expect(out[1]).toBe(0x8b);
      expect(gunzipSync(out).equals(input)).toBe(true);
    });

    it(`round-trips ${label} through ZIP with one named entry`, async () => {
      const out = await compressObject('ZIP', input, 'stream-1-2026-11-25-00-00-00-abc');
      const entries = unzipSync(out);
      expect(Object.keys(entries)).toEqual(['stream-1-2026-11-25-00-00-00-abc']);
      expect(Buffer.from(entries['stream-1-2026-11-25-00-00-00-abc']!).equals(input)).toBe(true);
    });

    it(`round-trips ${label} through Snappy framing with valid CRCs`, async () => {
      const out = await compressObject('Snappy', input, 'x');
      // The test decoder checks every chunk's masked CRC-32C with its own CRC code, and the size limit.
      const { body, chunkSizes } = unframeSnappy(out);
      expect(body.equals(input)).toBe(true);
      expect(chunkSizes.every((n) => n <= SNAPPY_FRAME_MAX_INPUT_BYTES)).toBe(true);
      expect(chunkSizes.length).toBe(Math.ceil(input.length / SNAPPY_FRAME_MAX_INPUT_BYTES));
      expect((await libraryUnframe(out)).equals(input)).toBe(true);
    });

    it(`round-trips ${label} through HADOOP_SNAPPY blocks`, async () => {
      const out = await compressObject('HADOOP_SNAPPY', input, 'x');
      expect(unblockHadoopSnappy(out).equals(input)).toBe(true);
    });
  }

  it('writes a lone stream identifier for an empty Snappy stream and a zero length for HADOOP_SNAPPY', async () => {
    expect((await compressObject('Snappy', Buffer.alloc(0), 'x')).length).toBe(10);
    expect([...(await compressObject('HADOOP_SNAPPY', Buffer.alloc(0), 'x'))]).toEqual([0, 0, 0, 0]);
  });

  it('stores incompressible Snappy chunks as uncompressed chunks', async () => {
    const out = await compressObject('Snappy', random.subarray(0, 1000), 'x');
    expect(out[10]).toBe(0x01);
    expect(out.length).toBe(10 + 4 + 4 + 1000);
  });

  it('keeps HADOOP_SNAPPY blocks within Hadoop’s default 256 KiB buffer', async () => {
    const out = await compressObject('HADOOP_SNAPPY', random, 'x');
    expect(out.readUInt32BE(0)).toBe(HADOOP_SNAPPY_BLOCK_INPUT_BYTES);
    expect(out.readUInt32BE(4)).toBeLessThanOrEqual(256 * 1024);
  });

  it('rejects an unknown format with FIREHOSE_INVALID_ARGUMENT', async () => {
    const err = await compressObject('LZ4' as CompressionFormat, text, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RivuletError);
    expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(() => compressionExtension('BROTLI' as CompressionFormat)).toThrow(RivuletError);
    expect(() => compressionContentType('BROTLI' as CompressionFormat)).toThrow(RivuletError);
  });
});

describe('system tools read what we write (library fallback when the tool is absent)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rivulet-compression-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gunzip decompresses GZIP output', async () => {
    const file = join(dir, 'a.gz');
    const out = await compressObject('GZIP', text, 'x');
    writeFileSync(file, out);
    const back = commandExists('gunzip') ? execFileSync('gunzip', ['-c', file]) : gunzipSync(out);
    expect(back.equals(text)).toBe(true);
  });

  it('unzip -p extracts the ZIP entry', async () => {
    const file = join(dir, 'a.zip');
    const out = await compressObject('ZIP', random, 'records');
    writeFileSync(file, out);
    const back = commandExists('unzip')
      ? execFileSync('unzip', ['-p', file, 'records'], { maxBuffer: 4 * 1024 * 1024 })
      : Buffer.from(unzipSync(out)['records']!);
    expect(back.equals(random)).toBe(true);
  });
});

describe('crc32c', () => {
  it('matches the standard check value', () => {
    // CRC-32C check value for "123456789" (RFC 3720, appendix B.4 test vectors family)
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    for (const sample of [Buffer.from('123456789'), Buffer.alloc(0), Buffer.from('sNaPpY'.repeat(100))]) expect(maskedCrc32c(sample)).toBe(referenceMaskedCrc32c(sample));
  });
});

describe('compressionExtension and compressionContentType', () => {
  it('uses the extensions Firehose appends', () => {
    expect(compressionExtension('UNCOMPRESSED')).toBe('');
    expect(compressionExtension('GZIP')).toBe('.gz');
    expect(compressionExtension('ZIP')).toBe('.zip');
    expect(compressionExtension('Snappy')).toBe('.snappy');
    expect(compressionExtension('HADOOP_SNAPPY')).toBe('.snappy');
  });

  it('never sets Content-Encoding', () => {
    for (const f of ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'] as const) {
      expect(compressionContentType(f).contentEncoding).toBeUndefined();
    }
    expect(compressionContentType('GZIP').contentType).toBe('application/gzip');
  });
});
