/**
 * Test fixture only: a FragmentReader over MKV files in a directory, made by real ffmpeg. It
 * stands in for the real store (ingest-server/src/video/store.ts), which is being written in
 * parallel; the archive tests are to be switched to that store once it lands.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FragmentReader, FragmentRecord, TimestampKind, VideoStreamInfo } from '../fragment-types.js';
import { timestampOf } from './fragment-selection.js';

const run = promisify(execFile);
export const FFMPEG = '/usr/bin/ffmpeg';
export const FFPROBE = '/usr/bin/ffprobe';

/** Ten seconds of 640x360 test video at 30 fps, 1 s GOPs, cut into 2 s MKV fragments. */
export async function makeFragments(dir: string, seconds = 10): Promise<string[]> {
  await run(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-t', String(seconds)]
    .concat(['-f', 'segment', '-segment_time', '2', '-segment_format', 'matroska', '-reset_timestamps', '1', join(dir, 'frag%03d.mkv')]));
  return (await readdir(dir)).filter((f) => f.endsWith('.mkv')).sort().map((f) => join(dir, f));
}

export class DirFragmentReader implements FragmentReader {
  private readonly records: (FragmentRecord & { file: string })[] = [];
  private seq = 0;

  constructor(private readonly info: VideoStreamInfo) {}

  async add(file: string, producerTimestampMs: number, serverTimestampMs: number, durationMs = 2000): Promise<FragmentRecord> {
    const record = {
      streamName: this.info.streamName,
      fragmentNumber: `91343852333${String(++this.seq).padStart(14, '0')}`,
      producerTimestampMs,
      serverTimestampMs,
      durationMs,
      sizeBytes: (await stat(file)).size,
      file,
    };
    this.records.push(record);
    return record;
  }

  async stream(nameOrArn: string): Promise<VideoStreamInfo | null> {
    return nameOrArn === this.info.streamName || nameOrArn === this.info.streamArn ? this.info : null;
  }

  async listByTime(streamName: string, kind: TimestampKind, fromMs: number, toMs: number): Promise<FragmentRecord[]> {
    if (streamName !== this.info.streamName) return [];
    return this.records
      .filter((r) => timestampOf(r, kind) >= fromMs && timestampOf(r, kind) <= toMs)
      .sort((a, b) => timestampOf(a, kind) - timestampOf(b, kind) || a.fragmentNumber.localeCompare(b.fragmentNumber));
  }

  async listByNumber(streamName: string, from: string | null, limit: number): Promise<FragmentRecord[]> {
    if (streamName !== this.info.streamName) return [];
    return this.records.filter((r) => from === null || r.fragmentNumber >= from).slice(0, limit);
  }

  async get(streamName: string, fragmentNumber: string): Promise<FragmentRecord | null> {
    return (streamName === this.info.streamName && this.records.find((r) => r.fragmentNumber === fragmentNumber)) || null;
  }

  async read(streamName: string, fragmentNumber: string): Promise<Buffer> {
    const record = await this.get(streamName, fragmentNumber);
    if (!record) throw new Error(`fixture: no fragment ${fragmentNumber}`);
    return readFile((record as FragmentRecord & { file: string }).file);
  }
}
