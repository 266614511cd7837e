/** A client that leaves mid-response must not leave ffmpeg running (or temp files behind). */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@rivulet/shared';
import { registerErrorHandler } from '../../plugins/errors.js';
import type { FfmpegProcess } from './ffmpeg-runner.js';
import { DirFragmentReader } from './fixture-fragment-reader.js';
import { registerArchiveRoutes } from './index.js';

let dir: string;
let app: FastifyInstance;
let endpoint: string;
const kills: number[] = [];

/** An ffmpeg stand-in that sends one chunk and then never finishes until killed. */
function endlessFfmpeg(): FfmpegProcess {
  const stdout = new PassThrough();
  let exit: (code: number | null) => void = () => undefined;
  const exited = new Promise<number | null>((resolve) => (exit = resolve));
  stdout.write(Buffer.alloc(1024, 1));
  return {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    kill: () => {
      kills.push(Date.now());
      stdout.end();
      exit(null);
    },
    exited,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-disconnect-'));
  const file = join(dir, 'f.mkv');
  writeFileSync(file, Buffer.alloc(100));
  const reader = new DirFragmentReader({ streamName: 's', streamArn: 'arn:s', status: 'ACTIVE', dataRetentionInHours: 1, creationTimeMs: 0 });
  await reader.add(file, 1_000_000, 1_000_000);
  app = Fastify();
  registerErrorHandler(app, 1024 * 1024);
  registerArchiveRoutes(app, { reader, clock: systemClock, logger: pino({ level: 'silent' }), ffmpegPath: '/nonexistent', spawnFfmpeg: endlessFfmpeg, tmpDir: dir });
  endpoint = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('client disconnect', () => {
  it('kills ffmpeg and removes the clip temp dir when the GetClip client goes away', async () => {
    const body = JSON.stringify({ StreamName: 's', ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: 1000, EndTimestamp: 1002 } } });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${endpoint}/getClip`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(body);
    });
    for (let i = 0; i < 50 && kills.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(kills).toHaveLength(1);
    for (let i = 0; i < 50 && readdirSync(dir).some((f) => f.startsWith('rivulet-clip-')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(dir).filter((f) => f.startsWith('rivulet-clip-'))).toEqual([]);
    expect(existsSync(join(dir, 'f.mkv'))).toBe(true);
  });
});
