import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import type { ArchiveContext } from './context.js';
import { DirFragmentReader } from './fixture-fragment-reader.js';
import { getMedia } from './get-media.js';

const dir = mkdtempSync(join(tmpdir(), 'rivulet-get-media-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  const clock = new ManualClock(1_000_000);
  const reader = new DirFragmentReader({ streamName: 's', streamArn: 'arn:s', status: 'ACTIVE', dataRetentionInHours: 1, creationTimeMs: 0 });
  const ctx: ArchiveContext = { reader, clock, logger: pino({ level: 'silent' }), spawn: () => { throw new Error('GetMedia needs no ffmpeg'); }, sessionKey: Buffer.alloc(32), tmpDir: dir, accountId: '0' };
  const sub = mkdtempSync(join(dir, 'case-'));
  const file = (name: string, byte: number) => {
    const path = join(sub, name);
    writeFileSync(path, Buffer.alloc(10, byte));
    return path;
  };
  return { clock, reader, ctx, file };
}

/** Collects a stream in flowing mode; `until(n)` waits for n bytes (real file reads), at most maxMs. */
function collect(stream: NodeJS.ReadableStream) {
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  return {
    async until(bytes: number, maxMs = 2000): Promise<Buffer> {
      for (let i = 0; i < maxMs / 10 && Buffer.concat(parts).length < bytes; i++) await new Promise((r) => setTimeout(r, 10));
      return Buffer.concat(parts);
    },
  };
}

describe('GetMedia', () => {
  it('from NOW sends only fragments that arrive later, found by polling on the clock', async () => {
    const { clock, reader, ctx, file } = setup();
    await reader.add(file('a', 1), 0, clock.now() - 1000);
    const stream = await getMedia(ctx, { StreamName: 's', StartSelector: { StartSelectorType: 'NOW' } });
    const got = collect(stream);
    expect(await got.until(1, 100)).toEqual(Buffer.alloc(0));
    await reader.add(file('b', 2), 2000, clock.now());
    clock.advance(500);
    expect(await got.until(10)).toEqual(Buffer.alloc(10, 2));
    stream.destroy();
    await reader.add(file('c', 3), 4000, clock.now());
    clock.advance(5000);
    expect(await got.until(20, 100)).toEqual(Buffer.alloc(10, 2));
  });

  it('from a fragment number includes that fragment; from a continuation token starts after it', async () => {
    const { reader, ctx, file } = setup();
    const a = await reader.add(file('a', 1), 0, 0);
    await reader.add(file('b', 2), 2000, 0);
    const byNumber = await getMedia(ctx, { StreamName: 's', StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: a.fragmentNumber } });
    expect(await collect(byNumber).until(20)).toEqual(Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(10, 2)]));
    byNumber.destroy();
    const byToken = await getMedia(ctx, { StreamName: 's', StartSelector: { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: a.fragmentNumber } });
    expect(await collect(byToken).until(10)).toEqual(Buffer.alloc(10, 2));
    byToken.destroy();
  });

  it('refuses an unknown stream and a missing start timestamp', async () => {
    const { ctx } = setup();
    await expect(getMedia(ctx, { StreamName: 'x', StartSelector: { StartSelectorType: 'EARLIEST' } })).rejects.toMatchObject({ awsType: 'ResourceNotFoundException' });
    await expect(getMedia(ctx, { StreamName: 's', StartSelector: { StartSelectorType: 'SERVER_TIMESTAMP' } })).rejects.toMatchObject({ awsType: 'InvalidArgumentException' });
  });
});
