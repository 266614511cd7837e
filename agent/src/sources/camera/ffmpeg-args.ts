/**
 * The ffmpeg command line for one camera run: RTSP in, the video copied as is (never re-encoded:
 * an edge device cannot afford it and KVS wants the camera's own H.264/H.265), cut by the segment
 * muxer into Matroska files that each begin on a keyframe, with every finished segment announced
 * on stdout. Also reads ffmpeg's major version, which decides the name of the socket timeout.
 * A `testsrc://` URL (test-pattern.ts) replaces the RTSP input with a generated, encoded one.
 * Owns only the arguments; running, restarting and reading the output are elsewhere.
 */
import { parseTestPatternUrl, testPatternEncodeArgs, testPatternInputArgs } from './test-pattern.js';

export interface FfmpegArgsOptions {
  url: string;
  transport: 'tcp' | 'udp';
  /** No packet for this long ends the run; without it ffmpeg waits forever on a frozen camera. */
  socketTimeoutMs: number;
  /** Cut at the first keyframe at or after each multiple of this. */
  fragmentSeconds: number;
  /** Absolute path pattern with one %d-style field, e.g. /buf/video/cam/123-0-%06d.mkv.part. */
  outputPattern: string;
  /** ffmpeg's major version: 5 renamed the RTSP socket timeout from -stimeout to -timeout. */
  ffmpegMajor: number;
  /** Keep the first audio track too (default: video only). */
  audio?: boolean;
}

export function buildFfmpegArgs(o: FfmpegArgsOptions): string[] {
  // ffmpeg ≥ 5: -timeout is the RTSP socket I/O timeout in µs. In 4.x -timeout meant "listen
  // for an incoming connection" (it would turn the client into a server), and -stimeout was it.
  const timeoutFlag = o.ffmpegMajor >= 5 ? '-timeout' : '-stimeout';
  const pattern = parseTestPatternUrl(o.url);
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel', 'warning',
    ...(pattern ? testPatternInputArgs(pattern) : ['-rtsp_transport', o.transport, timeoutFlag, String(Math.round(o.socketTimeoutMs * 1000)), '-i', o.url]),
    '-map', '0:v:0',
    ...(o.audio && !pattern ? ['-map', '0:a:0?'] : ['-an']),
    // Stream copy drops packets before the first keyframe (no -copyinkf), so segment 0 starts
    // on one too; the segment muxer cuts only at keyframes of the video stream.
    ...(pattern ? testPatternEncodeArgs(pattern) : ['-c', 'copy']),
    '-f', 'segment',
    '-segment_time', String(o.fragmentSeconds),
    '-segment_format', 'matroska',
    // Each file's timestamps start at 0; the list carries the run-timeline start and end.
    '-reset_timestamps', '1',
    '-segment_list', 'pipe:1',
    '-segment_list_type', 'csv',
    o.outputPattern,
  ];
}

/**
 * The major version from `ffmpeg -version` output ("ffmpeg version 5.1.9-0+deb12u1",
 * "ffmpeg version n6.1"); null for a git build ("N-112345-g...") or anything unreadable.
 */
export function parseFfmpegMajor(versionOutput: string): number | null {
  const m = /ffmpeg version n?(\d+)\./.exec(versionOutput);
  return m ? Number(m[1]) : null;
}
