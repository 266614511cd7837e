import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentLog } from './segment-log.js';
import { mulberry32 } from '../../../test/fixtures/prng.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SegmentLog reads through the block cache', () => {
  it('returns exactly what was appended, read before and after later appends, across blocks and segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-segment-log-'));
    dirs.push(dir);
    // 3 MiB segments: records span block edges, fill blocks, and roll over to new segments.
    const log = new SegmentLog(dir, 3 * 1024 * 1024, false);
    await log.recover(null);
    const random = mulberry32(5);
    const written: { segment: number; offset: number; payload: Buffer }[] = [];
    for (let round = 0; round < 40; round++) {
      const payloads = Array.from({ length: 20 }, () => Buffer.from(Array.from({ length: 1 + Math.floor(random() * 20_000) }, () => Math.floor(random() * 256))));
      const placed = await log.append(payloads.map((p) => [p]));
      placed.forEach((at, i) => written.push({ segment: at.segment, offset: at.offset, payload: payloads[i]! }));
      // Read a random sample of everything so far: old records come from cached blocks, the
      // newest (in the active segment's last, incomplete block) straight from the file.
      for (let k = 0; k < 30; k++) {
        const w = written[Math.floor(random() * written.length)]!;
        expect((await log.read(w.segment, w.offset, w.payload.length)).equals(w.payload)).toBe(true);
      }
    }
    expect(new Set(written.map((w) => w.segment)).size).toBeGreaterThan(2);
    for (const w of written) expect((await log.read(w.segment, w.offset, w.payload.length)).equals(w.payload)).toBe(true);
    await log.close();
  });
});
