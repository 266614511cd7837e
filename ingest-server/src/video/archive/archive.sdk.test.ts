/**
 * The archive read APIs through the real SDK clients against a real Fastify server on
 * 127.0.0.1, with real MKV fragments made by ffmpeg and read back by ffmpeg/ffprobe. SigV4 is
 * on (the clients sign with a test key), so the HLS GETs also prove the session-token waiver.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetClipCommand, GetHLSStreamingSessionURLCommand, GetImagesCommand, KinesisVideoArchivedMediaClient, type GetHLSStreamingSessionURLCommandInput } from '@aws-sdk/client-kinesis-video-archived-media';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@rivulet/shared';
import { registerErrorHandler } from '../../plugins/errors.js';
import { registerSigV4Auth } from '../../plugins/sigv4-auth.js';
import { DirFragmentReader, FFMPEG, FFPROBE, makeFragments } from './fixture-fragment-reader.js';
import { registerArchiveRoutes } from './index.js';

const run = promisify(execFile);
const credentials = { accessKeyId: 'AKIDARCHIVE', secretAccessKey: 'archive-secret' };
const STREAM = 'cam-1';
const ARN = 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam-1/1700000000000';
/** Producer timestamps of the stored recording (ms); fragment i starts at BASE + 2000 i. */
const BASE = Date.UTC(2026, 0, 1, 12, 0, 0);

let dir: string;
let files: string[];
let reader: DirFragmentReader;
let app: FastifyInstance;
let endpoint: string;
let archived: KinesisVideoArchivedMediaClient;
let media: KinesisVideoMediaClient;

async function probeDuration(target: string): Promise<number> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', target], { timeout: 30_000 });
  return Number(stdout.trim());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-archive-'));
  files = await makeFragments(dir);
  const nowMs = systemClock.now();
  reader = new DirFragmentReader({ streamName: STREAM, streamArn: ARN, status: 'ACTIVE', dataRetentionInHours: 24, creationTimeMs: BASE });
  // Server timestamps are recent, so the stream counts as live (a fragment in the last 30 s).
  for (const [i, file] of files.entries()) await reader.add(file, BASE + i * 2000, nowMs - 10_000 + i * 2000);
  app = Fastify({ logger: false });
  registerErrorHandler(app, 1024 * 1024);
  registerSigV4Auth(app, { lookupSecret: (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : null), clock: systemClock });
  registerArchiveRoutes(app, { reader, clock: systemClock, logger: pino({ level: 'silent' }), ffmpegPath: FFMPEG, tmpDir: dir });
  endpoint = await app.listen({ host: '127.0.0.1', port: 0 });
  archived = new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  media = new KinesisVideoMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});

afterAll(async () => {
  archived?.destroy();
  media?.destroy();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (ms: number) => new Date(ms);

describe('GetClip', () => {
  it('returns a 10 s MP4 remuxed without re-encoding that ffprobe and ffmpeg accept', async () => {
    const out = await archived.send(
      new GetClipCommand({ StreamName: STREAM, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: at(BASE), EndTimestamp: at(BASE + 10_000) } } }),
    );
    expect(out.ContentType).toBe('video/mp4');
    const file = join(dir, 'clip.mp4');
    writeFileSync(file, await (out.Payload as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    const duration = await probeDuration(file);
    expect(Math.abs(duration - 10)).toBeLessThanOrEqual(1);
    await run(FFMPEG, ['-v', 'error', '-i', file, '-f', 'null', '-'], { timeout: 60_000 });
    const { stdout } = await run(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width', '-of', 'csv=p=0', file]);
    expect(stdout.trim()).toBe('h264,640');
  });

  it('cuts a range inside the recording at GOP precision', async () => {
    const out = await archived.send(
      new GetClipCommand({ StreamARN: ARN, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: at(BASE + 3500), EndTimestamp: at(BASE + 7500) } } }),
    );
    const file = join(dir, 'cut.mp4');
    writeFileSync(file, await (out.Payload as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    const duration = await probeDuration(file);
    expect(duration).toBeGreaterThanOrEqual(3.9);
    expect(duration).toBeLessThanOrEqual(5.1);
  });

  it('returns ResourceNotFoundException when no fragment lies in the range', async () => {
    await expect(
      archived.send(new GetClipCommand({ StreamName: STREAM, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: at(BASE - 60_000), EndTimestamp: at(BASE - 30_000) } } })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 }, message: expect.stringContaining('No fragments found') });
  });

  it('returns ResourceNotFoundException for an unknown stream and InvalidArgumentException for a reversed range', async () => {
    const range = { StartTimestamp: at(BASE), EndTimestamp: at(BASE + 1000) };
    await expect(archived.send(new GetClipCommand({ StreamName: 'nope', ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: range } }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      archived.send(new GetClipCommand({ StreamName: STREAM, ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: at(BASE + 5000), EndTimestamp: at(BASE) } } })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
  });
});

describe('HLS', () => {
  async function sessionUrl(input: GetHLSStreamingSessionURLCommandInput): Promise<string> {
    const out = await archived.send(new GetHLSStreamingSessionURLCommand(input));
    expect(out.HLSStreamingSessionURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hls\/v1\/getHLSMasterPlaylist\.m3u8\?SessionToken=/);
    return out.HLSStreamingSessionURL as string;
  }

  for (const container of ['MPEG_TS', 'FRAGMENTED_MP4'] as const) {
    it(`plays an ON_DEMAND ${container} session through ffmpeg from start to end`, async () => {
      const url = await sessionUrl({
        StreamName: STREAM,
        PlaybackMode: 'ON_DEMAND',
        ContainerFormat: container,
        HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: at(BASE), EndTimestamp: at(BASE + 10_000) } },
      });
      await run(FFMPEG, ['-v', 'error', '-i', url, '-c', 'copy', '-f', 'null', '-'], { timeout: 60_000 });
      const duration = await probeDuration(url);
      expect(Math.abs(duration - 10)).toBeLessThanOrEqual(0.5);
    });
  }

  it('serves a LIVE media playlist of the latest fragments without ENDLIST, readable by ffmpeg', async () => {
    // Fresh fragments, so the stream is live however long the earlier tests took.
    const nowMs = systemClock.now();
    const fresh = [];
    for (const [i, file] of files.slice(0, 3).entries()) fresh.push(await reader.add(file, BASE + 100_000 + i * 2000, nowMs - 6000 + i * 2000));
    const url = await sessionUrl({ StreamName: STREAM, PlaybackMode: 'LIVE', ContainerFormat: 'MPEG_TS', MaxMediaPlaylistFragmentResults: 3 });
    const master = await (await fetch(url)).text();
    const mediaUrl = new URL(master.split('\n').find((l) => l.startsWith('getHLSMediaPlaylist')) as string, url).toString();
    const playlist = await (await fetch(mediaUrl)).text();
    expect(playlist).not.toContain('#EXT-X-ENDLIST');
    expect(playlist.match(/#EXTINF:2\.000,/g)).toHaveLength(3);
    expect([...playlist.matchAll(/FragmentNumber=(\d+)/g)].map((m) => m[1])).toEqual(fresh.map((f) => f.fragmentNumber));
    // A live playlist never ends: read its three segments (6 s) and stop.
    await run(FFMPEG, ['-v', 'error', '-live_start_index', '0', '-i', url, '-c', 'copy', '-t', '5.5', '-f', 'null', '-'], { timeout: 60_000 });
  });

  it('refuses a LIVE session with a timestamp range and a forged session token', async () => {
    await expect(
      archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: STREAM, PlaybackMode: 'LIVE', HLSFragmentSelector: { TimestampRange: { StartTimestamp: at(BASE) } } })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    const url = await sessionUrl({ StreamName: STREAM, PlaybackMode: 'LIVE', ContainerFormat: 'MPEG_TS' });
    const forged = url.replace(/SessionToken=([^.]+)\.(.)/, (_, p: string, c: string) => `SessionToken=${p}.${c === 'A' ? 'B' : 'A'}`);
    const res = await fetch(forged);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});

describe('GetImages', () => {
  it('returns decodable JPEGs at each sampled timestamp and NO_MEDIA past the recording', async () => {
    const images = [];
    let NextToken: string | undefined;
    do {
      const page = await archived.send(
        new GetImagesCommand({ StreamName: STREAM, ImageSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: at(BASE), EndTimestamp: at(BASE + 10_000), SamplingInterval: 1000, Format: 'JPEG', WidthPixels: 320, MaxResults: 4, NextToken }),
      );
      images.push(...(page.Images ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(images.map((i) => i.TimeStamp?.getTime())).toEqual(Array.from({ length: 11 }, (_, i) => BASE + i * 1000));
    expect(images[10]).toMatchObject({ Error: 'NO_MEDIA' });
    for (const [i, image] of images.slice(0, 10).entries()) {
      expect(image.Error).toBeUndefined();
      const file = join(dir, `img${i}.jpg`);
      writeFileSync(file, Buffer.from(image.ImageContent as string, 'base64'));
      const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file]);
      expect(stdout.trim()).toBe('mjpeg,320,180');
    }
  });

  it('returns InvalidArgumentException for a sampling interval under 200 ms', async () => {
    await expect(
      archived.send(new GetImagesCommand({ StreamName: STREAM, ImageSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: at(BASE), EndTimestamp: at(BASE + 1000), SamplingInterval: 100, Format: 'PNG' })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
  });
});

describe('GetMedia', () => {
  it('streams the stored fragments from EARLIEST as MKV, then a fragment added later', async () => {
    const out = await media.send(new GetMediaCommand({ StreamName: STREAM, StartSelector: { StartSelectorType: 'EARLIEST' } }));
    expect(out.ContentType).toBe('video/webm');
    const records = await reader.listByNumber(STREAM, null, 1000);
    const stored = Buffer.concat(await Promise.all(records.map((r) => reader.read(STREAM, r.fragmentNumber))));
    const extra = files[0] as string;
    const expected = Buffer.concat([stored, await readFile(extra)]);
    const body = out.Payload as AsyncIterable<Uint8Array> & { destroy(): void };
    const got: Buffer[] = [];
    let size = 0;
    let added = false;
    for await (const chunk of body) {
      got.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (!added && size >= stored.length) {
        added = true;
        await reader.add(extra, BASE + 200_000, systemClock.now());
      }
      if (size >= expected.length) break;
    }
    expect(Buffer.concat(got).subarray(0, expected.length).equals(expected)).toBe(true);
  });
});
