import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFfmpegArgs } from './ffmpeg-args.js';
import { parseTestPatternUrl } from './test-pattern.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const after = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};

describe('simulated camera (testsrc://)', () => {
  it('reads size and rate from the URL, with 640x360 at 15 fps by default', () => {
    expect(parseTestPatternUrl('testsrc://')).toEqual({ width: 640, height: 360, rate: 15 });
    expect(parseTestPatternUrl('testsrc://?size=320x240&rate=10')).toEqual({ width: 320, height: 240, rate: 10 });
    expect(parseTestPatternUrl('rtsp://cam/s')).toBeNull();
    expect(parseTestPatternUrl('testsrc://?size=321x240')).toBeNull();
    expect(parseTestPatternUrl('testsrc://?rate=0')).toBeNull();
    expect(parseTestPatternUrl('testsrc://?fps=10')).toBeNull();
  });

  it('generates the pattern in real time and encodes H.264 with a keyframe a second; RTSP inputs stay -c copy', () => {
    const args = buildFfmpegArgs({ url: 'testsrc://?size=320x240&rate=10', transport: 'tcp', socketTimeoutMs: 5000, fragmentSeconds: 2, outputPattern: '/x/%06d.mkv.part', ffmpegMajor: 5 });
    expect(args.slice(args.indexOf('-re'), args.indexOf('-re') + 5)).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10']);
    expect(after(args, '-c:v')).toBe('libx264');
    expect(after(args, '-g')).toBe('10');
    expect(args).not.toContain('-rtsp_transport');
    expect(args).not.toContain('copy');
    expect(after(args, '-f')).toBe('lavfi');
    expect(after(args.slice(args.indexOf('-map')), '-f')).toBe('segment');
    const rtsp = buildFfmpegArgs({ url: 'rtsp://cam/s', transport: 'tcp', socketTimeoutMs: 5000, fragmentSeconds: 2, outputPattern: '/x/%06d.mkv.part', ffmpegMajor: 5 });
    expect(after(rtsp, '-c')).toBe('copy');
    expect(rtsp).not.toContain('-re');
  });

  it('makes keyframe-led Matroska segments with the installed ffmpeg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-testsrc-'));
    dirs.push(dir);
    const args = buildFfmpegArgs({ url: 'testsrc://?size=320x240&rate=10', transport: 'tcp', socketTimeoutMs: 5000, fragmentSeconds: 1, outputPattern: join(dir, '%06d.mkv'), ffmpegMajor: 5 });
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let list = '';
    child.stdout.on('data', (c: Buffer) => (list += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 3500));
    child.kill('SIGINT'); // ffmpeg finishes the segment in progress
    await exited;
    const announced = list.trim().split('\n').filter(Boolean);
    expect(announced.length).toBeGreaterThanOrEqual(2);
    const first = join(dir, readdirSync(dir).sort()[0]!);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=codec_name,width,height:frame=key_frame', '-read_intervals', '%+#1', '-of', 'csv=p=0', first], { encoding: 'utf8' });
    expect(probe).toMatch(/^h264,320,240$/m);
    expect(probe.trim().split('\n')[0]!.split(',')[0]).toBe('1');
  }, 20_000);
});
