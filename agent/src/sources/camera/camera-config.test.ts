import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '@rivulet/shared';
import { buildAgent } from '../../app.js';
import { AgentConfigError, parseAgentConfig } from '../../config/load.js';
import { fakeSpawner } from './fixtures/fake-process.js';

const yaml = (camera: string, extra = '') => `device: { id: gw-1 }\nserver: { endpoint: "http://127.0.0.1:4567" }\n${extra}sources:\n  - { type: camera, name: yard, ${camera} }\n`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('camera source config', () => {
  it('fills the defaults: tcp, 2 s fragments, a 5 s socket timeout, no tags, 24 h / 1 GiB local retention', () => {
    const config = parseAgentConfig(yaml('url: "rtsp://10.0.0.5:554/stream1", stream: yard-video'));
    expect(config.sources[0]).toEqual({
      type: 'camera', name: 'yard', url: 'rtsp://10.0.0.5:554/stream1', stream: 'yard-video',
      transport: 'tcp', fragmentSeconds: 2, socketTimeoutMs: 5000, tags: {},
      retention: { maxHours: 24, maxBytes: 1024 * 1024 * 1024, whenFull: 'delete_oldest' }, keepLocal: false,
    });
  });

  it('takes local retention with a size string and deny_new', () => {
    const config = parseAgentConfig(yaml('url: "rtsp://cam/s", stream: v, retention: { maxHours: 2, maxBytes: 512MiB, whenFull: deny_new }, keepLocal: true'));
    expect(config.sources[0]).toMatchObject({ retention: { maxHours: 2, maxBytes: 512 * 1024 * 1024, whenFull: 'deny_new' }, keepLocal: true });
  });

  it('takes udp, tags and an ffmpeg path', () => {
    const config = parseAgentConfig(yaml('url: "rtsp://cam/s", stream: v, transport: udp, fragmentSeconds: 4, tags: { site: north }, ffmpegPath: /opt/ffmpeg/bin/ffmpeg'));
    expect(config.sources[0]).toMatchObject({ transport: 'udp', fragmentSeconds: 4, tags: { site: 'north' }, ffmpegPath: '/opt/ffmpeg/bin/ffmpeg' });
  });

  it('takes a simulated camera (testsrc://) and names a bad test pattern', () => {
    const config = parseAgentConfig(yaml('url: "testsrc://?size=640x360&rate=15", stream: v'));
    expect(config.sources[0]).toMatchObject({ url: 'testsrc://?size=640x360&rate=15' });
    expect(() => parseAgentConfig(yaml('url: "testsrc://?size=641x360", stream: v'))).toThrow(/sources\[0\]\.url: a test pattern/);
    expect(() => parseAgentConfig(yaml('url: "testsrc://?fps=3", stream: v'))).toThrow(/sources\[0\]\.url/);
  });

  it('names the bad field', () => {
    expect(() => parseAgentConfig(yaml('url: "http://cam/s", stream: v'))).toThrow(/sources\[0\]\.url/);
    // Kinesis Video: a fragment lasts at most 10 s.
    expect(() => parseAgentConfig(yaml('url: "rtsp://cam/s", stream: v, fragmentSeconds: 11'))).toThrow(/sources\[0\]\.fragmentSeconds/);
    expect(() => parseAgentConfig(yaml('url: "rtsp://cam/s", stream: v, transport: http'))).toThrow(AgentConfigError);
    expect(() => parseAgentConfig(yaml('url: "rtsp://cam/s"'))).toThrow(/sources\[0\]\.stream/);
  });

  it('is built by buildAgent with ffmpeg from the config, else from deps, else PATH', async () => {
    for (const [camera, depPath, expected] of [
      ['ffmpegPath: /opt/ff/ffmpeg', '/env/ffmpeg', '/opt/ff/ffmpeg'],
      ['', '/env/ffmpeg', '/env/ffmpeg'],
      ['', undefined, 'ffmpeg'],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'rivulet-camera-app-'));
      dirs.push(dir);
      const config = parseAgentConfig(yaml(`url: "rtsp://127.0.0.1:9/x", stream: v${camera ? `, ${camera}` : ''}`, `buffer: { path: "${join(dir, 'buffer')}" }\nstatus: { port: 0 }\n`));
      const { spawn, spawned } = fakeSpawner();
      const agent = buildAgent(config, { clock: systemClock, logger: pino({ level: 'silent' }), random: () => 0, spawn, ...(depPath ? { ffmpegPath: depPath } : {}) });
      const starting = agent.start();
      // The -version probe: answer it the way ffmpeg 5 does.
      for (let i = 0; i < 100 && spawned.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      spawned[0]!.writeStdout('ffmpeg version 5.1.9\n');
      spawned[0]!.exit({ code: 0, signal: null });
      await starting;
      expect(spawned.map((p) => p.command)).toEqual([expected, expected]);
      expect(spawned[1]!.args.at(-1)).toMatch(new RegExp(`^${join(dir, 'buffer', 'video', 'yard')}/\\d+-0-%06d\\.mkv\\.part$`));
      expect(agent.status().sources['yard']).toMatchObject({ running: true, fragments: 0, restarts: 0 });
      await agent.stop();
    }
  });
});
