import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs, parseFfmpegMajor } from './ffmpeg-args.js';

const base = {
  url: 'rtsp://127.0.0.1:8554/cam',
  transport: 'tcp' as const,
  socketTimeoutMs: 5000,
  fragmentSeconds: 2,
  outputPattern: '/buf/video/cam/1-0-%06d.mkv.part',
  ffmpegMajor: 5,
};

/** The value after `flag`, or undefined. */
const after = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};

describe('ffmpeg arguments', () => {
  it('copies video only into matroska segments announced on stdout as csv', () => {
    const args = buildFfmpegArgs(base);
    expect(after(args, '-c')).toBe('copy');
    expect(args).toContain('-an');
    expect(after(args, '-map')).toBe('0:v:0');
    expect(after(args, '-f')).toBe('segment');
    expect(after(args, '-segment_time')).toBe('2');
    expect(after(args, '-segment_format')).toBe('matroska');
    expect(after(args, '-reset_timestamps')).toBe('1');
    expect(after(args, '-segment_list')).toBe('pipe:1');
    expect(after(args, '-segment_list_type')).toBe('csv');
    expect(args.at(-1)).toBe(base.outputPattern);
    expect(args.indexOf('-rtsp_transport')).toBeLessThan(args.indexOf('-i'));
    expect(args).not.toContain('-vcodec');
  });

  it('sets the RTSP socket timeout in microseconds under the name this ffmpeg knows', () => {
    const v5 = buildFfmpegArgs({ ...base, socketTimeoutMs: 2500 });
    expect(after(v5, '-timeout')).toBe('2500000');
    expect(v5.indexOf('-timeout')).toBeLessThan(v5.indexOf('-i'));
    const v4 = buildFfmpegArgs({ ...base, ffmpegMajor: 4 });
    expect(after(v4, '-stimeout')).toBe('5000000');
    expect(v4).not.toContain('-timeout');
  });

  it('asks for udp transport and keeps audio only when told to', () => {
    const args = buildFfmpegArgs({ ...base, transport: 'udp', audio: true });
    expect(after(args, '-rtsp_transport')).toBe('udp');
    expect(args).not.toContain('-an');
    expect(args.filter((a) => a.startsWith('0:'))).toEqual(['0:v:0', '0:a:0?']);
  });

  it('reads the major version from ffmpeg -version', () => {
    expect(parseFfmpegMajor('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026')).toBe(5);
    expect(parseFfmpegMajor('ffmpeg version 4.3.6-0+deb11u1+rpt5 Copyright')).toBe(4);
    expect(parseFfmpegMajor('ffmpeg version n6.1.1 Copyright')).toBe(6);
    expect(parseFfmpegMajor('ffmpeg version N-112345-gdeadbeef Copyright')).toBeNull();
    expect(parseFfmpegMajor(execFileSync('/usr/bin/ffmpeg', ['-version'], { encoding: 'utf8' }))).toBeGreaterThanOrEqual(5);
  });

  it('is accepted by the installed ffmpeg (options parse, no input needed)', () => {
    // -h full lists every option ffmpeg and its muxers know: each flag we pass must be there.
    const help = execFileSync('/usr/bin/ffmpeg', ['-hide_banner', '-h', 'full'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    for (const flag of buildFfmpegArgs(base).filter((a) => /^-[a-z]/.test(a) && a !== '-i')) {
      // Booleans are listed without their "no" prefix (-nostdin is -stdin).
      const name = flag.replace(/^-no(stdin|stats)$/, '-$1');
      expect(help, flag).toMatch(new RegExp(`^\\s*${name}\\b`, 'm'));
    }
  });
});
