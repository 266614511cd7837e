/**
 * Video benchmark: one real 720p30 2 Mbit/s RTSP test camera through rivulet-agent (ffmpeg
 * `-c copy` cutting MKV fragments, PutMedia upload) to rivulet-ingest, measuring agent and
 * ffmpeg CPU and RSS and the time from a fragment's end at the camera until ListFragments lists
 * it; then a PutMedia load generator replaying recorded fragments from many concurrent
 * cameras. Prints a markdown table; `--write FILE` updates the benchmarks doc.
 *   npm run bench:video -- [--seconds 30] [--cameras 25,50,100,150] [--write docs/benchmarks.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { writeDocBlock } from './doc-block.js';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { startAgent } from '../test/harness/agent.js';
import { startCamera } from '../test/harness/camera.js';
import { startIngest, tempDir } from '../test/harness/ingest.js';
import { recordFragments, replay, type LoadResult } from './video-load.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, cameras: { type: 'string', default: '25,50,100,150' }, write: { type: 'string' } } });
const SECONDS = Number(values.seconds);
const CAMERA_COUNTS = values.cameras!.split(',').map(Number);
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };

/** CPU seconds and RSS of a process (0s when it has gone). */
function procStat(pid: number): { cpuSeconds: number; rssBytes: number; peakRssBytes: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return { cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 };
  }
}

/** The ffmpeg child of the agent process. */
function ffmpegChildOf(pid: number): number | null {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.find((c) => readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'ffmpeg') ?? null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function cameraRun() {
  const server = await startIngest({});
  const camera = await startCamera({ width: 1280, height: 720, fps: 30, bitrateKbps: 2000 });
  const kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  await kvs.send(new CreateStreamCommand({ StreamName: 'bench-cam', DataRetentionInHours: 1 }));
  kvs.destroy();
  const agent = await startAgent(
    ['device: { id: bench-cam-gw }', `server: { endpoint: "${server.endpoint}" }`, 'sources:', `  - { type: camera, name: cam, url: "${camera.url}", stream: bench-cam, fragmentSeconds: 2 }`],
    { compiled: true },
  );
  const archive = new KinesisVideoArchivedMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  try {
    // Let ffmpeg connect and the first fragments flow before measuring.
    await new Promise((r) => setTimeout(r, 5000));
    const ffmpegPid = ffmpegChildOf(agent.child.pid!);
    const agentBefore = procStat(agent.child.pid!);
    const ffmpegBefore = ffmpegPid ? procStat(ffmpegPid) : null;
    const start = performance.now();
    const listedAt = new Map<string, number>();
    const fragments = new Map<string, { endMs: number }>();
    while (performance.now() - start < SECONDS * 1000) {
      const { Fragments = [] } = await archive.send(
        new ListFragmentsCommand({ StreamName: 'bench-cam', FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(Date.now() - 60_000), EndTimestamp: new Date(Date.now() + 1000) } } }),
      );
      const now = Date.now();
      for (const f of Fragments) {
        if (listedAt.has(f.FragmentNumber!)) continue;
        listedAt.set(f.FragmentNumber!, now);
        fragments.set(f.FragmentNumber!, { endMs: f.ProducerTimestamp!.getTime() + Number(f.FragmentLengthInMilliseconds) });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsed = (performance.now() - start) / 1000;
    const agentAfter = procStat(agent.child.pid!);
    const ffmpegAfter = ffmpegPid ? procStat(ffmpegPid) : null;
    // Fragments listed during the window only (the first listing includes older ones).
    const lags = [...fragments].filter(([, f]) => f.endMs >= Date.now() - elapsed * 1000).map(([n, f]) => listedAt.get(n)! - f.endMs);
    return {
      agentCorePct: ((agentAfter.cpuSeconds - agentBefore.cpuSeconds) / elapsed) * 100,
      ffmpegCorePct: ffmpegAfter && ffmpegBefore ? ((ffmpegAfter.cpuSeconds - ffmpegBefore.cpuSeconds) / elapsed) * 100 : NaN,
      agentRssMiB: agentAfter.rssBytes / 2 ** 20,
      agentPeakRssMiB: agentAfter.peakRssBytes / 2 ** 20,
      ffmpegRssMiB: (ffmpegAfter?.rssBytes ?? NaN) / 2 ** 20,
      listLagMedianMs: median(lags),
      listLagMaxMs: Math.max(...lags),
      fragmentsListed: lags.length,
    };
  } finally {
    archive.destroy();
    await agent.stop();
    await camera.stop();
    await server.stop();
    server.cleanup();
  }
}

async function loadRun(): Promise<LoadResult[]> {
  const fragments = recordFragments(tempDir('rivulet-bench-frags-'));
  const out: LoadResult[] = [];
  for (const cameras of CAMERA_COUNTS) {
    const server = await startIngest({});
    try {
      out.push(await replay(server.endpoint, fragments, cameras, Math.min(SECONDS, 20), String(cameras)));
    } finally {
      await server.stop();
      server.cleanup();
    }
  }
  return out;
}

const cam = await cameraRun();
const load = await loadRun();
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
const sustained = Math.max(0, ...load.filter((l) => l.persisted === l.sent && l.onTime >= l.sent * 0.99).map((l) => l.cameras));
const table = [
  `Command: \`npm run bench:video -- --seconds ${SECONDS}\`; ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}; run at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  '',
  'One GStreamer test camera (1280x720, 30 fps, x264 2 Mbit/s, GOP 30) → rivulet-agent (compiled; ffmpeg `-c copy`, 2 s MKV fragments) → rivulet-ingest on the same machine.',
  '',
  '| Metric | Value | Target |',
  '|---|--:|---|',
  `| Agent CPU per camera, % of a core | ${fmt(cam.agentCorePct, 1)} | |`,
  `| ffmpeg CPU per camera, % of a core | ${fmt(cam.ffmpegCorePct, 1)} | |`,
  `| Agent + ffmpeg, % of a core | ${fmt(cam.agentCorePct + cam.ffmpegCorePct, 1)} | ≤ 2 ${cam.agentCorePct + cam.ffmpegCorePct <= 2 ? '✅' : '❌'} |`,
  `| Agent RSS (peak), MiB | ${fmt(cam.agentRssMiB)} (${fmt(cam.agentPeakRssMiB)}) | |`,
  `| ffmpeg RSS, MiB | ${fmt(cam.ffmpegRssMiB)} | |`,
  `| Fragment end → listed by ListFragments, median (max) ms, ${cam.fragmentsListed} fragments | ${fmt(cam.listLagMedianMs)} (${fmt(cam.listLagMaxMs)}) | ≤ 500 ${cam.listLagMedianMs <= 500 ? '✅' : '❌'} |`,
  '',
  'PutMedia load: recorded 720p 2 Mbit/s fragments (2 s), replayed by N concurrent cameras, one fragment per camera every 2 s, each to its own stream.',
  '',
  '| Cameras | Fragments sent | PERSISTED | Within 2 s | Ack p50 ms | Ack p99 ms |',
  '|--:|--:|--:|--:|--:|--:|',
  ...load.map((l) => `| ${l.cameras} | ${l.sent} | ${l.persisted} | ${l.onTime} | ${fmt(l.ackP50Ms)} | ${fmt(l.ackP99Ms)} |`),
  '',
  `Concurrent 2 Mbit/s uploads sustained (all PERSISTED, ≥ 99% within 2 s): **${sustained}** (target ≥ 100 ${sustained >= 100 ? '✅' : '❌'}).`,
].join('\n');
process.stdout.write(`${table}\n`);
if (values.write) writeDocBlock(values.write, 'video', 'Video: camera through rivulet-agent to rivulet-ingest', table);
process.exit(0);
