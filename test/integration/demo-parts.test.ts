/**
 * The parts of `npm run demo` (scripts/demo/) that need no running server: its options, the agent
 * config it writes (checked by the agent's own config loader), where it finds ffmpeg, the
 * sensors' random walk and the delivery-file count. The whole demo: test/e2e/demo.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../agent/src/config/load.js';
import { agentConfigYaml, DEMO_CAMERA_URL } from '../../scripts/demo/agent.js';
import { findFfmpeg, findOnPath } from '../../scripts/demo/ffmpeg.js';
import { DemoUsageError, parseDemoArgs } from '../../scripts/demo/options.js';
import { nextReading } from '../../scripts/demo/sensors.js';
import { countFiles } from '../../scripts/demo/status.js';
import { REPO_ROOT } from '../harness/ingest.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-demo-parts-'));
  dirs.push(d);
  return d;
};

describe('npm run demo, its parts', () => {
  it('defaults to ./data and port 4567 until Ctrl-C, and refuses bad options by name', () => {
    expect(parseDemoArgs([], '/home/me/rivulet')).toEqual({ dataDir: '/home/me/rivulet/data', port: 4567, seconds: 0, camera: true, help: false });
    expect(parseDemoArgs(['--data-dir', 'x', '--port', '0', '--seconds', '30', '--no-camera'], '/w')).toEqual({ dataDir: '/w/x', port: 0, seconds: 30, camera: false, help: false });
    expect(parseDemoArgs(['-h'], '/w').help).toBe(true);
    expect(() => parseDemoArgs(['--port', '70000'], '/w')).toThrow(/--port: expected an integer from 0 to 65535/);
    expect(() => parseDemoArgs(['--data-dir'], '/w')).toThrow(DemoUsageError);
    expect(() => parseDemoArgs(['--verbose'], '/w')).toThrow(/unknown option --verbose/);
  });

  it('writes an agent config that the agent accepts: broker, sensors topic, health every 5 s, the simulated camera', () => {
    const config = parseAgentConfig(agentConfigYaml({ endpoint: 'http://127.0.0.1:4567', dir: '/data/agent', brokerPort: 18830, camera: true }));
    expect(config.device.id).toBe('demo-device');
    expect(config.buffer.path).toBe('/data/agent/buffer');
    expect(config.status).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.sources).toEqual([
      expect.objectContaining({ type: 'mqtt', broker: { embedded: { host: '127.0.0.1', port: 18830 } }, subscriptions: [expect.objectContaining({ topic: 'sensors/+sensor/reading', stream: 'demo-sensors', partitionKey: { topicSegment: 'sensor' } })] }),
      expect.objectContaining({ type: 'system', stream: 'device-health', intervalMs: 5000 }),
      expect.objectContaining({ type: 'camera', url: DEMO_CAMERA_URL, stream: 'demo-camera', fragmentSeconds: 2 }),
    ]);
    const noCamera = parseAgentConfig(agentConfigYaml({ endpoint: 'http://127.0.0.1:4567', dir: '/d', brokerPort: 1, camera: false }));
    expect(noCamera.sources.map((s) => s.type)).toEqual(['mqtt', 'system']);
  });

  it('finds ffmpeg through FFMPEG_PATH, then PATH, then the npm package', async () => {
    const bin = temp();
    const fake = join(bin, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
    expect(await findFfmpeg({ FFMPEG_PATH: fake, PATH: '/usr/bin' })).toEqual({ path: fake, from: 'FFMPEG_PATH' });
    expect(await findFfmpeg({ FFMPEG_PATH: join(bin, 'missing'), PATH: bin })).toBeNull();
    expect(await findFfmpeg({ PATH: `/nonexistent:${bin}` })).toEqual({ path: fake, from: 'PATH' });
    expect(findOnPath('ffmpeg', temp())).toBeNull();
    // With nothing on PATH the answer is the npm-shipped binary, if that package is installed.
    let shipped: string | null = null;
    try {
      shipped = (createRequire(join(REPO_ROOT, 'package.json'))('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    } catch {
      shipped = null;
    }
    const found = await findFfmpeg({ PATH: temp() });
    expect(found).toEqual(shipped ? { path: shipped, from: '@ffmpeg-installer/ffmpeg' } : null);
  });

  it('walks sensor readings smoothly and keeps them plausible', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const base = { temperature: 21, humidity: 40 };
    let r = { sensor: 'sensor-1', temperature: 21, humidity: 40, at: 0 };
    for (let i = 1; i <= 5000; i++) {
      const next = nextReading(r, base, i * 500, random);
      expect(Math.abs(next.temperature - r.temperature)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(next.humidity - r.humidity)).toBeLessThanOrEqual(1.5);
      expect(next).toMatchObject({ sensor: 'sensor-1', at: i * 500 });
      r = next;
    }
    expect(Math.abs(r.temperature - base.temperature)).toBeLessThan(5);
    expect(r.humidity).toBeGreaterThanOrEqual(0);
    expect(r.humidity).toBeLessThanOrEqual(100);
  });

  it('counts delivered files, leaving out the file sink’s dotfiles', () => {
    const dir = temp();
    mkdirSync(join(dir, 'demo-sensors/2026/11/26/05'), { recursive: true });
    writeFileSync(join(dir, 'demo-sensors/2026/11/26/05/a'), 'x');
    writeFileSync(join(dir, 'demo-sensors/2026/11/26/05/b'), 'x');
    writeFileSync(join(dir, 'demo-sensors/2026/11/26/05/.rivulet-tmp-1'), 'x');
    expect(countFiles(dir)).toBe(2);
    expect(countFiles(join(dir, 'none'))).toBe(0);
  });
});
