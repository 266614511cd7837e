/**
 * Tests for the test-camera harness: the camera serves live H.264 to a real RTSP client
 * (ffprobe), comes back on the same URL after being killed, and a frozen camera sends nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobePath, probeStream, startCamera, type CameraProcess } from './camera.js';

const execFileAsync = promisify(execFile);

describe('startCamera', () => {
  let camera: CameraProcess;

  beforeAll(async () => {
    camera = await startCamera({ width: 320, height: 240, fps: 15 });
  });

  afterAll(async () => {
    await camera?.stop();
  });

  it('serves H.264 at the size asked for, on loopback', async () => {
    expect(camera.url).toBe(`rtsp://127.0.0.1:${camera.port}/cam`);
    expect(await probeStream(camera.url)).toEqual({ codec: 'h264', width: 320, height: 240 });
  });

  it('sends decodable frames with a keyframe every second', async () => {
    const { stdout } = await execFileAsync(ffprobePath(), [
      '-v', 'error', '-rtsp_transport', 'tcp', '-read_intervals', '%+2.5', '-select_streams', 'v:0',
      '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', camera.url,
    ]);
    const packets = stdout.trim().split('\n').map((l) => l.split(','));
    // The first packet of an RTSP session may carry no timestamp (pts N/A).
    const keyTimes = packets.filter(([t, flags]) => flags?.startsWith('K') && t !== 'N/A').map(([t]) => Number(t));
    expect(packets.length).toBeGreaterThan(20);
    expect(keyTimes.length).toBeGreaterThanOrEqual(2);
    expect(keyTimes[1]! - keyTimes[0]!).toBeCloseTo(1, 1);
  });

  it('comes back on the same URL after being killed', async () => {
    await camera.kill();
    await expect(probeStream(camera.url, 1000)).rejects.toThrow();
    await camera.restart();
    expect((await probeStream(camera.url)).codec).toBe('h264');
  });

  it('a frozen camera answers nothing until resumed', async () => {
    camera.freeze();
    await expect(probeStream(camera.url, 1000)).rejects.toThrow();
    camera.resume();
    expect((await probeStream(camera.url)).codec).toBe('h264');
  });
});
