/**
 * `rivulet video list|clip|export` against a live server: three 2 s fragments uploaded with
 * PutMedia (as the agent does) come back as an MP4 clip and an MKV export that ffprobe reads,
 * each lasting the range asked for, with the progress line on stderr; --raw keeps the bytes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putMedia } from '../../agent/src/uploaders/video/put-media-client.js';
import { mkvFile } from '../fixtures/mkv-ffmpeg.js';
import { runCli } from '../harness/cli.js';
import { tempDir } from '../harness/ingest.js';
import { useIngestSuite } from '../harness/suite.js';

const run = promisify(execFile);
const suite = useIngestSuite();
const dir = tempDir('rivulet-cli-video-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Producer time of the first fragment: a whole second, an hour ago. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const FRAGMENTS = 3;

async function ffprobe(file: string): Promise<{ seconds: number; codec: string }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file]);
  const out = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
  return { seconds: Number(out.format.duration), codec: out.streams[0]!.codec_name };
}

async function frames(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

beforeAll(async () => {
  const kvs = new KinesisVideoClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await kvs.send(new CreateStreamCommand({ StreamName: 'porch', DataRetentionInHours: 24, MediaType: 'video/h264' }));
  kvs.destroy();
  const file = join(dir, 'fragment.mkv');
  writeFileSync(file, await mkvFile({ seconds: 2, preset: 'ultrafast' }));
  for (let i = 0; i < FRAGMENTS; i++) {
    const result = await putMedia({ endpoint: suite.server.endpoint, streamName: 'porch', file, producerTimestampMs: T0 + i * 2000, region: 'us-east-1', credentials: null, nowMs: Date.now(), timeoutMs: 30_000 });
    expect(result.kind).toBe('persisted');
  }
}, 120_000);

describe('rivulet video', () => {
  const cli = (args: string[]) => runCli(args, { endpoint: suite.server.endpoint });
  const from = new Date(T0).toISOString();
  const to = new Date(T0 + FRAGMENTS * 2000).toISOString();

  it('lists video streams', async () => {
    const text = await cli(['video', 'list']);
    expect(text.stdout).toMatch(/^porch\s+ACTIVE\s+24h\s+video\/h264\s+\d{4}-/m);
    const json = JSON.parse((await cli(['video', 'list', '--json'])).stdout) as { StreamInfoList: { StreamName: string }[] };
    expect(json.StreamInfoList.map((s) => s.StreamName)).toEqual(['porch']);
  }, 60_000);

  it('saves an MP4 clip of the range that ffprobe reads', async () => {
    const out = join(dir, 'clip.mp4');
    const r = await cli(['video', 'clip', 'porch', '--from', from, '--to', to, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*clip\.mp4 \([\d.]+ (KiB|MiB), video\/mp4\)\n$/);
    expect(r.stderr).toMatch(/^clip [\d.]+ (KiB|MiB) {2}[\d.]+ (B|KiB|MiB)\/s {2}\d+s\n$/);
    const probe = await ffprobe(out);
    expect(probe.codec).toBe('h264');
    expect(Math.abs(probe.seconds - FRAGMENTS * 2)).toBeLessThanOrEqual(0.5);
  }, 120_000);

  it('exports the stored fragments of the range as one MKV that ffprobe reads, with a fragment progress line', async () => {
    const out = join(dir, 'export.mkv');
    const r = await cli(['video', 'export', 'porch', '--from', from, '--to', to, '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ StreamName: 'porch', Fragments: FRAGMENTS, Bytes: statSync(out).size });
    expect(r.stderr).toMatch(/^export \[#{24}\] 100% 3\/3 fragments {2}[\d.]+\/s\n$/);
    const probe = await ffprobe(out);
    expect(probe.codec).toBe('h264');
    expect(Math.abs(probe.seconds - FRAGMENTS * 2)).toBeLessThanOrEqual(0.5);
    // Every frame of the three fragments is in the one file (testsrc at 30 fps).
    expect(await frames(out)).toBe(FRAGMENTS * 2 * 30);
  }, 120_000);

  it('with --raw writes the fragments exactly as GetMediaForFragmentList returns them', async () => {
    const out = join(dir, 'raw.mkv');
    const r = await cli(['video', 'export', 'porch', '--from', from, '--to', to, '-o', out, '--raw']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*raw\.mkv \(3 fragments, [\d.]+ KiB\)\n$/);
    const fragment = readFileSync(join(dir, 'fragment.mkv'));
    expect(readFileSync(out).equals(Buffer.concat(Array.from({ length: FRAGMENTS }, () => fragment)))).toBe(true);
    expect((await ffprobe(out)).codec).toBe('h264');
  }, 120_000);

  it('fails with one line when the range holds no fragments or the stream is unknown, leaving no file', async () => {
    const out = join(dir, 'none.mkv');
    const empty = await cli(['video', 'export', 'porch', '--from', '2001-01-01T00:00:00Z', '--to', '2001-01-01T00:01:00Z', '-o', out]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^rivulet: ResourceNotFoundException: No fragments found in stream porch [^\n]+\n$/);
    const unknown = await cli(['video', 'clip', 'garage', '--from', '-1h', '-o', join(dir, 'garage.mp4')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^rivulet: ResourceNotFoundException: [^\n]+\n$/);
    expect(existsSync(out) || existsSync(join(dir, 'garage.mp4'))).toBe(false);
    expect(await cli(['video', 'clip', 'porch', '--from', '-1h'])).toMatchObject({ code: 2, stderr: 'rivulet: UsageError: video clip needs --from TIME and -o FILE\n' });
  }, 120_000);
});
