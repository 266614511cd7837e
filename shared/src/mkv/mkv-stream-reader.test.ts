import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { mkvFile, mkvPipe, mkvSegments } from '../../../test/fixtures/mkv-ffmpeg.js';
import { RivuletError } from '../errors.js';
import { MKV_IDS } from './ebml.js';
import { MkvStreamReader, type MkvDocument, type MkvEvent } from './mkv-stream-reader.js';

const run = promisify(execFile);

let file: Buffer;
let pipe: Buffer;
let segments: Buffer[];

beforeAll(async () => {
  [file, pipe, segments] = await Promise.all([mkvFile(), mkvPipe(), mkvSegments()]);
});

/** Feeds every chunk then ends, stopping at the first error event as a caller would. */
function readAll(input: Buffer | Buffer[], reader = new MkvStreamReader()): MkvEvent[] {
  const events: MkvEvent[] = [];
  for (const chunk of Array.isArray(input) ? input : [input]) {
    events.push(...reader.push(chunk));
    if (reader.error) return events;
  }
  return [...events, ...reader.end()];
}

function documents(events: MkvEvent[]): MkvDocument[] {
  return events.flatMap((e) => (e.type === 'document' ? [e.document] : []));
}

/** ffprobe's view of the packets: presentation time (ms) and keyframe flag, in file order. */
async function probePackets(bytes: Buffer): Promise<{ ms: number; key: boolean }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-probe-'));
  try {
    await writeFile(join(dir, 'in.mkv'), bytes);
    const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'packet=pts,flags', '-of', 'csv=p=0', join(dir, 'in.mkv')]);
    return stdout.trim().split('\n').map((line) => {
      const [pts, flags] = line.split(',');
      return { ms: Number(pts), key: (flags ?? '').startsWith('K') };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function blockTimes(doc: MkvDocument): { ms: number; key: boolean }[] {
  return doc.clusters.flatMap((c) => c.blocks.map((b) => ({ ms: ((c.timecode + b.relativeTimecode) * doc.timecodeScaleNs) / 1e6, key: b.keyframe })));
}

/** A deterministic PRNG, so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type MkvErrorCode = 'VIDEO_INVALID_MKV' | 'VIDEO_FRAGMENT_TOO_LARGE';

/** Runs fn, which returns reader events; expects the last one to report a RivuletError. */
function expectMkvError(fn: () => MkvEvent[] | void, code: MkvErrorCode | MkvErrorCode[] = 'VIDEO_INVALID_MKV'): RivuletError {
  const events = fn() ?? [];
  const last = events[events.length - 1];
  expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
  if (last?.type !== 'error') throw new Error(`expected an error event, got ${events.map((e) => e.type).join(', ')}`);
  expect(last.error).toBeInstanceOf(RivuletError);
  expect(Array.isArray(code) ? code : [code]).toContain(last.error.code);
  return last.error;
}

describe('MkvStreamReader on ffmpeg output', () => {
  it('reads a file-written document (known sizes): tracks, clusters, blocks as ffprobe sees them', async () => {
    const events = readAll(file);
    expect(events.map((e) => e.type)).toEqual(['document-start', 'first-cluster', 'document']);
    const [doc] = documents(events);
    expect(doc?.bytes.equals(file)).toBe(true);
    expect(doc?.docType).toBe('matroska');
    expect(doc?.timecodeScaleNs).toBe(1_000_000);
    expect(doc?.tracks).toEqual([{ number: 1, type: 1, codecId: 'V_MPEG4/ISO/AVC' }]);
    expect(doc?.clusters.map((c) => c.timecode)).toEqual([0, 1000, 2000, 3000]);
    expect(blockTimes(doc as MkvDocument)).toEqual(await probePackets(file));
  });

  it('reads a pipe-written document (unknown-size Segment and Clusters)', async () => {
    const [doc, ...rest] = documents(readAll(pipe));
    expect(rest).toEqual([]);
    expect(doc?.bytes.equals(pipe)).toBe(true);
    expect(doc?.tracks.map((t) => t.codecId)).toEqual(['V_MPEG4/ISO/AVC']);
    expect(doc?.clusters).toHaveLength(4);
    expect(blockTimes(doc as MkvDocument)).toEqual(await probePackets(pipe));
  });

  it('emits a known-size document as soon as its Segment ends, before end()', () => {
    const reader = new MkvStreamReader();
    const events = reader.push(segments[0] as Buffer);
    expect(documents(events)).toHaveLength(1);
    expect(reader.inDocument).toBe(false);
  });

  it('holds an unknown-size document until the next EBML header or the end of input', () => {
    const reader = new MkvStreamReader();
    expect(documents(reader.push(pipe))).toHaveLength(0);
    expect(reader.inDocument).toBe(true);
    const next = reader.push(pipe.subarray(0, 5));
    expect(next.map((e) => e.type)).toEqual(['document', 'document-start']);
    expectMkvError(() => reader.end());
  });

  it('splits back-to-back documents from the segment muxer and a pipe', () => {
    const input = [...segments, pipe, pipe];
    const docs = documents(readAll(input));
    expect(docs.map((d) => d.bytes.length)).toEqual(input.map((b) => b.length));
    docs.forEach((d, i) => expect(d.bytes.equals(input[i] as Buffer)).toBe(true));
    expect(docs[1]?.clusters[0]?.timecode).toBeGreaterThan(docs[0]?.clusters[0]?.timecode as number);
  });

  it('reports the same documents whatever the chunk boundaries', () => {
    const whole = Buffer.concat([...segments, pipe]);
    const expected = documents(readAll(whole));
    for (let seed = 1; seed <= 40; seed++) {
      const rand = prng(seed);
      const chunks: Buffer[] = [];
      for (let at = 0; at < whole.length; ) {
        const n = rand() < 0.2 ? 1 + Math.floor(rand() * 3) : 1 + Math.floor(rand() * 6000);
        chunks.push(whole.subarray(at, at + n));
        at += n;
      }
      const got = documents(readAll(chunks));
      // Buffers compared with equals(): a deep toEqual walks them byte by byte, slowly.
      expect(got.map(({ bytes, ...rest }) => rest), `seed ${seed}`).toEqual(expected.map(({ bytes, ...rest }) => rest));
      got.forEach((d, i) => expect(d.bytes.equals(expected[i]?.bytes as Buffer), `seed ${seed} doc ${i}`).toBe(true));
    }
  });
});

describe('MkvStreamReader on bad input', () => {
  it('reports a document truncated anywhere as VIDEO_INVALID_MKV', () => {
    for (const cut of [1, 3, 20, 60, 200, 1000, file.length / 2, file.length - 1]) {
      expectMkvError(() => readAll(file.subarray(0, Math.floor(cut))));
    }
    expectMkvError(() => readAll(pipe.subarray(0, pipe.length - 1)));
  });

  it('reports a truncated known-size document followed by a good one', () => {
    expectMkvError(() => readAll([file.subarray(0, 5000), file]));
  });

  it('refuses garbage with a RivuletError and never hangs', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed);
      const junk = Buffer.alloc(1 + Math.floor(rand() * 4000), 0);
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
      // Half of the cases start like a real document so the garbage reaches deeper levels.
      const input = seed % 2 === 0 ? Buffer.concat([file.subarray(0, 40 + (seed % 300)), junk]) : junk;
      // A random size field often claims more than the document limit: that is refused too.
      expectMkvError(() => readAll(input), ['VIDEO_INVALID_MKV', 'VIDEO_FRAGMENT_TOO_LARGE']);
    }
  });

  it('survives real documents with random bytes flipped: documents or an error event, never a throw', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rand = prng(seed * 7);
      const bytes = Buffer.from(seed % 2 ? file : pipe);
      for (let flips = 1 + Math.floor(rand() * 4); flips > 0; flips--) bytes[Math.floor(rand() * 600)] = Math.floor(rand() * 256);
      const events = readAll(bytes);
      const errors = events.filter((e) => e.type === 'error');
      expect(errors.length + documents(events).length, `seed ${seed}`).toBeGreaterThan(0);
      if (errors.length) expect(events.at(-1)?.type).toBe('error');
    }
  });

  it('refuses text that is not MKV at all', () => {
    const err = expectMkvError(() => readAll(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
    expect(err.message).toMatch(/Invalid MKV data at byte 0/);
  });

  it('stays failed after an error', () => {
    const reader = new MkvStreamReader();
    expectMkvError(() => reader.push(Buffer.from('not mkv at all, clearly')));
    expectMkvError(() => reader.push(file));
    expectMkvError(() => reader.end());
  });

  it('reports a document completed in the same chunk before the garbage that follows it', () => {
    const events = readAll(Buffer.concat([file, Buffer.from('garbage after the document')]));
    expect(events.map((e) => e.type)).toEqual(['document-start', 'first-cluster', 'document', 'error']);
  });

  it('refuses a known-size document over the limit from its Segment size, before its bytes arrive', () => {
    const reader = new MkvStreamReader({ maxDocumentBytes: 10_000 });
    expectMkvError(() => reader.push(file.subarray(0, 100)), 'VIDEO_FRAGMENT_TOO_LARGE');
  });

  it('refuses an unknown-size document once more than the limit is buffered', () => {
    const reader = new MkvStreamReader({ maxDocumentBytes: 10_000 });
    let at = 0;
    const err = expectMkvError(() => {
      for (; at < pipe.length; at += 500) {
        const events = reader.push(pipe.subarray(at, at + 500));
        if (reader.error) return events;
      }
    }, 'VIDEO_FRAGMENT_TOO_LARGE');
    expect(err.message).toMatch(/10000 bytes/);
    // Refused from the size of the block that would cross the limit, or from bytes held: never later.
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThanOrEqual(10_000);
  });

  it('refuses a non-Matroska DocType', () => {
    const doc = ebml(MKV_IDS.ebml, ebml(MKV_IDS.docType, Buffer.from('webmx')));
    expectMkvError(() => readAll(Buffer.concat([doc, ebml(MKV_IDS.segment)])));
  });
});

describe('MkvStreamReader on hand-built documents', () => {
  it('reads TimecodeScale, BlockGroup keyframes (no ReferenceBlock) and unknown-size Clusters', () => {
    const block = (track: number, rel: number, flags: number) => Buffer.from([0x80 | track, (rel >> 8) & 0xff, rel & 0xff, flags, 0xde, 0xad]);
    const bytes = Buffer.concat([
      ebml(MKV_IDS.ebml, ebml(MKV_IDS.docType, Buffer.from('matroska'))),
      unknownSize(MKV_IDS.segment),
      ebml(MKV_IDS.info, ebml(MKV_IDS.timecodeScale, Buffer.from([0x01, 0x86, 0xa0]))),
      ebml(MKV_IDS.tracks, ebml(MKV_IDS.trackEntry, ebml(MKV_IDS.trackNumber, Buffer.from([2])), ebml(MKV_IDS.codecId, Buffer.from('V_MJPEG')))),
      unknownSize(MKV_IDS.cluster),
      ebml(MKV_IDS.timecode, Buffer.from([0x0a])),
      ebml(MKV_IDS.blockGroup, ebml(MKV_IDS.block, block(2, 0, 0))),
      ebml(MKV_IDS.blockGroup, ebml(MKV_IDS.block, block(2, 5, 0)), ebml(MKV_IDS.referenceBlock, Buffer.from([0xfb]))),
      ebml(MKV_IDS.simpleBlock, block(2, -3, 0x80)),
      ebml(MKV_IDS.void, Buffer.alloc(3)),
      unknownSize(MKV_IDS.cluster),
      ebml(MKV_IDS.timecode, Buffer.from([0x05])),
      ebml(MKV_IDS.simpleBlock, block(2, 0, 0)),
    ]);
    const [doc] = documents(readAll(bytes));
    expect(doc?.timecodeScaleNs).toBe(100_000);
    expect(doc?.tracks).toEqual([{ number: 2, type: null, codecId: 'V_MJPEG' }]);
    expect(doc?.clusters).toEqual([
      { timecode: 10, blocks: [{ track: 2, relativeTimecode: 0, keyframe: true }, { track: 2, relativeTimecode: 5, keyframe: false }, { track: 2, relativeTimecode: -3, keyframe: true }] },
      { timecode: 5, blocks: [{ track: 2, relativeTimecode: 0, keyframe: false }] },
    ]);
  });

  it('refuses a block before its Cluster Timecode and a child that overruns its parent', () => {
    const head = Buffer.concat([ebml(MKV_IDS.ebml), unknownSize(MKV_IDS.segment), unknownSize(MKV_IDS.cluster)]);
    expectMkvError(() => readAll(Buffer.concat([head, ebml(MKV_IDS.simpleBlock, Buffer.from([0x81, 0, 0, 0x80]))])));
    const inner = ebml(MKV_IDS.timecode, Buffer.from([1, 2, 3, 4]));
    const cluster = Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x82]), inner]);
    expectMkvError(() => readAll(Buffer.concat([ebml(MKV_IDS.ebml), unknownSize(MKV_IDS.segment), cluster])));
  });
});

/** An element with an 8-byte size field. */
function ebml(id: number, ...children: Buffer[]): Buffer {
  const data = Buffer.concat(children);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(data.length) | (1n << 56n));
  return Buffer.concat([idBytes(id), size, data]);
}

/** The header of an element of unknown size; its children follow as siblings in the byte stream. */
function unknownSize(id: number): Buffer {
  return Buffer.concat([idBytes(id), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
}

function idBytes(id: number): Buffer {
  const hex = id.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
