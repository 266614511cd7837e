/**
 * PutMedia load generator for bench:video: records real 720p30 ~2 Mbit/s H.264 fragments once
 * with ffmpeg, then replays them from N concurrent "cameras", each pacing one fragment per
 * fragment duration to its own stream, and measures how many keep up (every fragment PERSISTED
 * within one fragment duration of being sent). Owns only the load; bench/video.ts owns the table.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { putMedia } from '../agent/src/uploaders/video/put-media-client.js';

export interface RecordedFragments {
  files: string[];
  durationMs: number;
  meanBytes: number;
}

/** Cuts `seconds` of 1280x720 30 fps test video at 2 Mbit/s into 2 s MKV fragments. */
export function recordFragments(dir: string, seconds = 10): RecordedFragments {
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '4M', '-g', '30', '-pix_fmt', 'yuv420p',
    '-f', 'segment', '-segment_time', '2', '-segment_format', 'matroska', '-reset_timestamps', '1', join(dir, 'frag%03d.mkv'),
  ]);
  const files = readdirSync(dir).filter((f) => f.endsWith('.mkv')).sort().map((f) => join(dir, f));
  const meanBytes = files.reduce((sum, f) => sum + readFileSync(f).byteLength, 0) / files.length;
  return { files, durationMs: 2000, meanBytes };
}

export interface LoadResult {
  cameras: number;
  sent: number;
  persisted: number;
  /** Fragments acknowledged PERSISTED within one fragment duration of being sent. */
  onTime: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

/** Runs `cameras` concurrent replays for `seconds` against `endpoint`. */
export async function replay(endpoint: string, fragments: RecordedFragments, cameras: number, seconds: number, tag: string): Promise<LoadResult> {
  const kvs = new KinesisVideoClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const names = Array.from({ length: cameras }, (_, i) => `bench-${tag}-${i}`);
  for (const name of names) await kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
  kvs.destroy();
  const latencies: number[] = [];
  let sent = 0;
  let persisted = 0;
  const startMs = Date.now();
  const rounds = Math.floor((seconds * 1000) / fragments.durationMs);
  await Promise.all(
    names.map(async (name, c) => {
      // Stagger the cameras across one fragment duration, as real ones would be.
      const offsetMs = (c * fragments.durationMs) / cameras;
      for (let n = 0; n < rounds; n++) {
        const due = startMs + offsetMs + n * fragments.durationMs;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        const sentAt = performance.now();
        sent++;
        const result = await putMedia({
          endpoint, streamName: name, file: fragments.files[n % fragments.files.length]!, producerTimestampMs: startMs + n * fragments.durationMs,
          region: 'us-east-1', credentials: null, nowMs: Date.now(), timeoutMs: 30_000,
        }).catch(() => null);
        if (result?.kind === 'persisted') {
          persisted++;
          latencies.push(performance.now() - sentAt);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    cameras,
    sent,
    persisted,
    onTime: latencies.filter((l) => l <= fragments.durationMs).length,
    ackP50Ms: percentile(latencies, 50),
    ackP99Ms: percentile(latencies, 99),
  };
}
