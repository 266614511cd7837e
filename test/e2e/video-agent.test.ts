import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetHLSStreamingSessionURLCommand,
  GetMediaForFragmentListCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
  type Fragment,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../harness/agent.js';
import { startCamera, type CameraProcess } from '../harness/camera.js';
import { startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const run = promisify(execFile);
const OUTAGE_MS = Number(process.env.RIVULET_VIDEO_OUTAGE_MS ?? 60_000);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: IngestProcess | null = null;
let agent: AgentProcess | null = null;
let camera: CameraProcess | null = null;
afterAll(async () => {
  await agent?.stop();
  await camera?.stop();
  await server?.stop();
  server?.cleanup();
});

interface CameraStats {
  sources: { cam: { fragments: number; gaps: number; restarts: number } };
  buffer: { records: number };
}

async function listAll(archive: KinesisVideoArchivedMediaClient, fromMs: number, toMs: number): Promise<Fragment[]> {
  const out: Fragment[] = [];
  let token: string | undefined;
  do {
    const page = await archive.send(
      new ListFragmentsCommand({
        StreamName: 'cam-1',
        ...(token ? { NextToken: token } : { FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(fromMs), EndTimestamp: new Date(toMs) } } }),
      }),
    );
    out.push(...(page.Fragments ?? []));
    token = page.NextToken;
  } while (token);
  return out.sort((a, b) => a.ProducerTimestamp!.getTime() - b.ProducerTimestamp!.getTime());
}

async function ffprobeSeconds(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

describe('camera → rivulet-agent → rivulet-ingest', () => {
  it(`stores sound fragments through a camera restart and a ${OUTAGE_MS / 1000} s server outage, with none lost or duplicated; clips and HLS play`, async () => {
    const dataDir = tempDir();
    server = await startIngest({ dataDir });
    const port = server.port;
    const kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    await kvs.send(new CreateStreamCommand({ StreamName: 'cam-1', DataRetentionInHours: 24 }));
    kvs.destroy();
    camera = await startCamera({ width: 640, height: 360, fps: 30 });
    const startMs = Date.now();
    agent = await startAgent([
      'device: { id: gw-video }',
      `server: { endpoint: "http://127.0.0.1:${port}" }`,
      'upload: { backoffBaseMs: 200, backoffCapMs: 2000 }',
      'sources:',
      `  - { type: camera, name: cam, url: "${camera.url}", stream: cam-1, fragmentSeconds: 2, socketTimeoutMs: 3000, tags: { site: test } }`,
    ]);
    const status = () => agent!.status<CameraStats>();

    // Live: fragments reach the server while they are made.
    await sleep(8000);
    // The installer's live view: a JPEG of what the camera sees, made on request.
    const snap = await fetch(`http://127.0.0.1:${agent.statusPort}/cameras/cam/snapshot.jpg`);
    expect(snap.status).toBe(200);
    const jpeg = Buffer.from(await snap.arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    const snapFile = join(mkdtempSync(join(tmpdir(), 'rivulet-snap-')), 'snap.jpg');
    writeFileSync(snapFile, jpeg);
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', snapFile]);
    expect(probe.stdout.trim()).toBe('640,360');
    expect((await fetch(`http://127.0.0.1:${agent.statusPort}/cameras/nope/snapshot.jpg`)).status).toBe(404);
    // The camera dies and comes back: ffmpeg reconnects and the gap is reported.
    await camera.restart();
    for (let i = 0; i < 60 && (await status()).sources.cam.gaps === 0; i++) await sleep(500);
    await sleep(5000);
    // The server goes away; fragments wait on the device and go up afterwards.
    await server.stop();
    await sleep(OUTAGE_MS);
    server = await startIngest({ dataDir, port });
    await sleep(4000);
    // The camera goes for good: the backlog drains and every fragment the agent made is stored.
    await camera.stop();
    camera = null;
    // ffmpeg finishes its last fragment as it exits, so wait for the count to settle as well as
    // for the buffer to empty: a fragment made after the check would otherwise be "extra".
    let final = await status();
    let previous = -1;
    for (let i = 0; i < 120 && (final.buffer.records > 0 || final.sources.cam.fragments !== previous); i++) {
      previous = final.sources.cam.fragments;
      await sleep(1000);
      final = await status();
    }
    expect(final.buffer.records).toBe(0);
    expect(final.sources.cam.restarts).toBeGreaterThanOrEqual(1);
    const endMs = Date.now();

    const archive = new KinesisVideoArchivedMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const fragments = await listAll(archive, startMs - 60_000, endMs + 60_000);
    const producerTimes = fragments.map((f) => f.ProducerTimestamp!.getTime());
    expect(new Set(producerTimes).size).toBe(producerTimes.length);
    expect(fragments).toHaveLength(final.sources.cam.fragments);
    const expectedSeconds = (endMs - startMs) / 1000;
    // About one 2 s fragment per 2 s of recording, less the camera's downtime.
    expect(fragments.length).toBeGreaterThan((expectedSeconds / 2) * 0.6);
    // Contiguous: each fragment starts where the previous one ended, except at the one camera gap.
    const holes = fragments.slice(1).filter((f, i) => f.ProducerTimestamp!.getTime() - (producerTimes[i]! + Number(fragments[i]!.FragmentLengthInMilliseconds)) > 500);
    expect(holes.length).toBeLessThanOrEqual(1);

    // Every stored fragment is sound: it starts on a keyframe, decodes, and lasts 2 s ± one GOP.
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-video-e2e-'));
    for (const [i, f] of fragments.entries()) {
      const media = await archive.send(new GetMediaForFragmentListCommand({ StreamName: 'cam-1', Fragments: [f.FragmentNumber!] }));
      const file = join(dir, `f${i}.mkv`);
      writeFileSync(file, Buffer.from(await media.Payload!.transformToByteArray()));
      // A fragment cut short by the camera going away may end in an incomplete access unit.
      const beforeGap = i === fragments.length - 1 || holes.includes(fragments[i + 1]!);
      const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
      if (!beforeGap) expect(stderr).toBe('');
      const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=key_frame', '-read_intervals', '%+#1', '-of', 'csv=p=0', file]);
      // (x264's first frame of a run carries an SEI, which ffprobe prints after the flag)
      expect(stdout.trim().split('\n')[0]!.split(',')[0]).toBe('1');
      // The last fragment of a run can be cut short by the stop or the camera going away.
      if (i > 0 && !beforeGap) expect(Math.abs((await ffprobeSeconds(file)) - 2)).toBeLessThanOrEqual(1);
    }

    // A 10 s clip, remuxed to MP4.
    const clipStart = producerTimes[1]!;
    const clip = await archive.send(
      new GetClipCommand({ StreamName: 'cam-1', ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(clipStart), EndTimestamp: new Date(clipStart + 10_000) } } }),
    );
    const clipFile = join(dir, 'clip.mp4');
    writeFileSync(clipFile, Buffer.from(await clip.Payload!.transformToByteArray()));
    expect(Math.abs((await ffprobeSeconds(clipFile)) - 10)).toBeLessThanOrEqual(1);

    // An on-demand HLS session that ffmpeg plays to the end.
    const { HLSStreamingSessionURL } = await archive.send(
      new GetHLSStreamingSessionURLCommand({
        StreamName: 'cam-1',
        PlaybackMode: 'ON_DEMAND',
        ContainerFormat: 'MPEG_TS',
        HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(clipStart), EndTimestamp: new Date(clipStart + 10_000) } },
      }),
    );
    const hls = await run('ffmpeg', ['-v', 'error', '-i', HLSStreamingSessionURL!, '-c', 'copy', '-f', 'null', '-']);
    expect(hls.stderr).toBe('');
    console.log(`video-agent: ${fragments.length} fragments stored = made; ${holes.length} gap(s); camera restarts ${final.sources.cam.restarts}`);
    archive.destroy();
  }, 240_000);
});
