/**
 * buildAgent(config, deps): assembles the pipeline from config (sources -> durable buffer ->
 * uploader) and returns { start, stop, status }. main.ts is the only caller that passes the
 * real clock, randomness and environment.
 */
import { join } from 'node:path';
import { SigningKeyCache, type Clock } from '@rivulet/shared';
import type { Logger } from 'pino';
import { LevelBuffer } from './buffer/level-buffer.js';
import type { AgentConfig } from './config/schema.js';
import { DropReporter } from './pipeline/drop-reporter.js';
import { NO_FAILPOINTS, type Failpoints } from './pipeline/failpoints.js';
import type { Emit, Source } from './pipeline/types.js';
import { UploadPump } from './pipeline/upload-pump.js';
import { CameraSource } from './sources/camera/camera-source.js';
import { fragmentsRootFor } from './sources/camera/fragment-ref.js';
import { nodeSpawner, type ProcessSpawner } from './sources/camera/process-spawner.js';
import { MqttSource } from './sources/mqtt/mqtt-source.js';
import { createOsSampler } from './sources/system/sampler.js';
import { SystemSource } from './sources/system/system-source.js';
import { cameraSnapshot } from './status/camera-snapshot.js';
import { AgentMetrics } from './status/metrics.js';
import { startStatusServer, type StatusServer } from './status/status-server.js';
import { BandwidthLimiter } from './uploaders/bandwidth.js';
import { RetryScheduler } from './uploaders/scheduler.js';
import { createHttpTransport } from './uploaders/streams/http-transport.js';
import { StreamsUploader } from './uploaders/streams/streams-uploader.js';
import { VideoPipeline } from './uploaders/video/video-pipeline.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentDeps {
  clock: Clock;
  logger: Logger;
  random: () => number;
  /** Crash-test failpoints (none by default). */
  failpoints?: Failpoints;
  /** The process's memory, for the status page. */
  memoryUsage?: () => NodeJS.MemoryUsage;
  /** Starts ffmpeg for camera sources (child_process by default). */
  spawn?: ProcessSpawner;
  /** ffmpeg for camera sources without their own ffmpegPath ($FFMPEG_PATH; unset: ffmpeg on PATH). */
  ffmpegPath?: string;
}

export interface Agent {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): AgentStatus;
  statusAddress(): { host: string; port: number } | null;
}

export interface AgentStatus {
  device: string;
  version: string;
  sources: Record<string, ReturnType<Source['stats']>>;
  buffer: ReturnType<LevelBuffer['stats']> & { oldestUnsentAgeMs: number | null; batchesWritten: number };
  upload: ReturnType<StreamsUploader['stats']> & { recordsPerSecond: number; drainEstimateSeconds: number | null; streams: Record<string, unknown> };
  memory: { rssBytes: number; heapUsedBytes: number; externalBytes: number } | null;
  /** Camera sources, for the status page's live view. */
  cameras: string[];
  video: ReturnType<VideoPipeline['stats']> | null;
}

export function buildAgent(config: AgentConfig, deps: AgentDeps): Agent {
  const { clock, logger } = deps;
  const buffer = new LevelBuffer({
    location: config.buffer.path,
    maxBytes: config.buffer.maxBytes,
    policies: config.buffer.streams,
    defaultPolicy: config.buffer.default,
    clock,
    flushIntervalMs: config.buffer.flushIntervalMs,
  });
  const transport = createHttpTransport();
  const bandwidth = config.upload.bandwidthBytesPerSecond ? new BandwidthLimiter({ bytesPerSecond: config.upload.bandwidthBytesPerSecond }, { clock }) : null;
  const credentials =
    config.server.accessKeyId && config.server.secretAccessKey ? { accessKeyId: config.server.accessKeyId, secretAccessKey: config.server.secretAccessKey } : null;
  const keyCache = new SigningKeyCache();
  const uploader = new StreamsUploader(
    {
      endpoint: config.server.endpoint,
      region: config.server.region,
      credentials,
      deviceId: config.device.id,
      idempotentProducer: config.server.idempotentProducer,
      maxBatchRecords: config.upload.maxBatchRecords,
      maxBatchBytes: config.upload.maxBatchBytes,
    },
    { buffer, clock, send: transport.send, bandwidth, keyCache },
  );
  const cameras = config.sources.filter((s) => s.type === 'camera');
  const video = new VideoPipeline(
    { cameras, bufferPath: config.buffer.path, endpoint: config.server.endpoint, region: config.server.region, credentials },
    { buffer, clock, keyCache, onError: (err) => logger.warn({ err }, 'video retention failed') },
  );
  const scheduler = new RetryScheduler({ clock, random: deps.random }, { baseMs: config.upload.backoffBaseMs, capMs: config.upload.backoffCapMs });
  // Kinesis Video streams (the cameras') go through PutMedia, everything else through PutRecords.
  const uploadFailures = { streams: 0, video: 0 };
  const router = {
    attempt: async (stream: string) => {
      const kind = video.streams.has(stream) ? 'video' : 'streams';
      const verdict = await (kind === 'video' ? video.uploader.attempt(stream) : uploader.attempt(stream));
      if (verdict.kind !== 'ok') uploadFailures[kind]++;
      return verdict;
    },
  };
  const pump = new UploadPump({ buffer, uploader: router, scheduler, clock });
  const sources: Source[] = config.sources.flatMap((s): Source[] => {
    if (s.type === 'system') {
      const sampler = createOsSampler({ clock, agentVersion: AGENT_VERSION, diskPath: '/' });
      const backlog = () => {
        const b = buffer.stats();
        return { records: b.records, bytes: b.bytes, oldestUnsentAgeMs: b.oldestWallMs === null ? null : Math.max(0, clock.now() - b.oldestWallMs) };
      };
      return [new SystemSource({ ...s, deviceId: config.device.id, clock, sampler, backlog, onError: (err) => logger.warn({ err, source: s.name }, 'health sample failed') })];
    }
    if (s.type === 'camera') {
      return [
        new CameraSource(
          { config: s, fragmentsRoot: fragmentsRootFor(config.buffer.path), ffmpegPath: s.ffmpegPath ?? deps.ffmpegPath ?? 'ffmpeg' },
          { clock, random: deps.random, spawn: deps.spawn ?? nodeSpawner, onError: (err) => logger.warn({ err, source: s.name }, 'camera source error') },
        ),
      ];
    }
    return [new MqttSource({ config: s, deviceId: config.device.id, clock, onError: (err) => logger.warn({ err, source: s.name }, 'mqtt source error') })];
  });
  const failpoints = deps.failpoints ?? NO_FAILPOINTS;
  const emit: Emit = async (records, options) => {
    const result = await buffer.append(records, options);
    failpoints.hit('after-append');
    pump.kick();
    return result;
  };
  const reportStream = config.buffer.dropReport?.stream ?? config.sources.find((s) => s.type === 'system')?.stream;
  const dropReporter = reportStream
    ? new DropReporter(
        { stream: reportStream, intervalMs: config.buffer.dropReport?.intervalMs ?? 60_000, partitionKey: config.device.id },
        { buffer, emit, clock, onError: (err) => logger.warn({ err }, 'drop report failed') },
      )
    : null;
  // The installer's live view: one keyframe decoded per request, only while someone looks.
  const snapshot = (name: string) => {
    const camera = cameras.find((c) => c.name === name);
    if (!camera) return Promise.resolve(null);
    return cameraSnapshot(name, { spawn: deps.spawn ?? nodeSpawner, ffmpegPath: camera.ffmpegPath ?? deps.ffmpegPath ?? 'ffmpeg', dirOf: () => join(fragmentsRootFor(config.buffer.path), name) });
  };
  const metrics = new AgentMetrics(() => {
    const b = buffer.stats();
    return {
      sources: Object.fromEntries(sources.map((s) => [s.name, s.stats()])),
      buffer: { records: b.records, bytes: b.bytes, oldestUnsentAgeMs: b.oldestWallMs === null ? null : Math.max(0, clock.now() - b.oldestWallMs) },
      uploaded: { streams: uploader.stats().records, ...(cameras.length > 0 ? { video: video.stats().fragments } : {}) },
      uploadFailures: { streams: uploadFailures.streams, ...(cameras.length > 0 ? { video: uploadFailures.video } : {}) },
    };
  });
  let statusServer: StatusServer | null = null;
  let running = false;
  let rate = { atMs: clock.monotonicMs(), records: 0, perSecond: 0 };

  const status = (): AgentStatus => {
    const up = uploader.stats();
    const nowMono = clock.monotonicMs();
    if (nowMono - rate.atMs >= 1000) {
      rate = { atMs: nowMono, records: up.records, perSecond: ((up.records - rate.records) * 1000) / (nowMono - rate.atMs) };
    }
    const b = buffer.stats();
    return {
      device: config.device.id,
      version: AGENT_VERSION,
      sources: Object.fromEntries(sources.map((s) => [s.name, s.stats()])),
      buffer: { ...b, oldestUnsentAgeMs: b.oldestWallMs === null ? null : Math.max(0, clock.now() - b.oldestWallMs), batchesWritten: buffer.batchesWritten },
      upload: {
        ...up,
        recordsPerSecond: rate.perSecond,
        drainEstimateSeconds: b.records === 0 ? 0 : rate.perSecond > 0 ? b.records / rate.perSecond : null,
        streams: Object.fromEntries(buffer.pendingStreams().map((s) => [s, pump.state(s)])),
      },
      memory: memoryOf(deps.memoryUsage),
      cameras: cameras.map((c) => c.name),
      video: cameras.length > 0 ? video.stats() : null,
    };
  };

  return {
    async start() {
      await buffer.open();
      pump.start();
      await video.start();
      for (const source of sources) await source.start(source instanceof CameraSource ? video.emitFor(emit) : emit);
      dropReporter?.start();
      statusServer = await startStatusServer({ host: config.status.host, port: config.status.port, status, healthy: () => running, snapshot, metrics: () => metrics.text() });
      running = true;
      logger.info({ device: config.device.id, sources: sources.map((s) => s.name), status: statusServer.address }, 'rivulet-agent started');
    },
    async stop() {
      running = false;
      for (const source of sources) await source.stop();
      await dropReporter?.stop();
      // Whatever was dropped since the last report is reported before the buffer closes.
      await dropReporter?.reportOnce().catch((err: unknown) => logger.warn({ err }, 'drop report failed'));
      pump.stop();
      video.stop();
      bandwidth?.stop();
      await statusServer?.close();
      transport.close();
      await buffer.close();
    },
    status,
    statusAddress: () => (statusServer ? { host: statusServer.address.address, port: statusServer.address.port } : null),
  };
}

function memoryOf(usage: (() => NodeJS.MemoryUsage) | undefined): AgentStatus['memory'] {
  if (!usage) return null;
  try {
    const m = usage();
    return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
  } catch {
    // process.memoryUsage() reads /proc/self; in a chroot or jail without /proc it throws.
    return null;
  }
}
