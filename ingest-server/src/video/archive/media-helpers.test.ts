/** The byte-level helpers (mp4-boxes, image-split, ts-discontinuity) against real ffmpeg output. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG, FFPROBE } from './fixture-fragment-reader.js';
import { splitImages } from './image-split.js';
import { shiftMediaSegment, splitInitSegment, trackTimescales } from './mp4-boxes.js';
import { TsDiscontinuityMarker } from './ts-discontinuity.js';

const run = promisify(execFile);
const SOURCE = ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10', '-t', '1'];
let dir: string;

async function ffmpegOut(args: string[]): Promise<Buffer> {
  const { stdout } = await run(FFMPEG, [...SOURCE, ...args, 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-media-helpers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fragmented MP4 split and shift', () => {
  it('splits ffmpeg fMP4 into init and media, and moves the media along the timeline', async () => {
    const mp4 = await ffmpegOut(['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof']);
    const { init, media } = splitInitSegment(mp4);
    expect(init.toString('latin1', 4, 8)).toBe('ftyp');
    expect(init.includes(Buffer.from('moov'))).toBe(true);
    expect(media.toString('latin1', 4, 8)).toBe('moof');
    expect(media.includes(Buffer.from('mfra'))).toBe(false);
    const scales = trackTimescales(init);
    expect([...scales.values()]).toHaveLength(1);
    shiftMediaSegment(media, scales, 2);
    const file = join(dir, 'shifted.mp4');
    writeFileSync(file, Buffer.concat([init, media]));
    const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_entries', 'packet=dts_time', '-of', 'csv=p=0', file]);
    expect(Number(stdout.trim().split('\n')[0])).toBeCloseTo(2, 3);
  });

  it('refuses output with no moov', () => {
    expect(() => splitInitSegment(Buffer.from('0000000cfreeabcd', 'hex'))).toThrow(expect.objectContaining({ code: 'VIDEO_MEDIA_PROCESSING' }));
  });
});

describe('image2pipe splitting', () => {
  it('splits a JPEG and a PNG stream into single decodable images', async () => {
    for (const [format, codec] of [['JPEG', 'mjpeg'], ['PNG', 'png']] as const) {
      const images = splitImages(await ffmpegOut(['-frames:v', '3', '-c:v', codec, '-f', 'image2pipe']), format);
      expect(images).toHaveLength(3);
      for (const image of images) {
        const file = join(dir, `one.${codec}`);
        writeFileSync(file, image);
        const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_entries', 'stream=width', '-of', 'csv=p=0', file]);
        expect(stdout.trim()).toBe('160');
      }
    }
  });
});

describe('MPEG-TS discontinuity marker', () => {
  it('sets discontinuity_indicator on the first adaptation field of each PID and changes nothing else', async () => {
    const ts = await ffmpegOut(['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts']);
    // Odd-sized chunks, so packets straddle chunk boundaries.
    const chunks = Array.from({ length: Math.ceil(ts.length / 1000) }, (_, i) => ts.subarray(i * 1000, (i + 1) * 1000));
    const out: Buffer[] = [];
    for await (const c of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new TsDiscontinuityMarker())) out.push(c as Buffer);
    const marked = Buffer.concat(out);
    expect(marked.length).toBe(ts.length);
    const changed: number[] = [];
    for (let pos = 0; pos < ts.length; pos += 188) if (!marked.subarray(pos, pos + 188).equals(ts.subarray(pos, pos + 188))) changed.push(pos);
    expect(changed.length).toBeGreaterThanOrEqual(1);
    for (const pos of changed) {
      expect((marked[pos + 5] as number) & 0x80).toBe(0x80);
      expect((marked[pos + 5] as number) & 0x7f).toBe((ts[pos + 5] as number) & 0x7f);
    }
  });
});
