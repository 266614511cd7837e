/**
 * buildServer(deps): assembles rivulet-ingest from its parts without opening a socket, so tests
 * can inject() into it; listen() binds the port (transport.ts). main.ts is the only caller that
 * reads argv, env and the real clock.
 */
import http from 'node:http';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '@rivulet/shared';
import { ConfigError, isLoopbackHost, type ServerConfig } from './config.js';
import { AnalyticsService, registerAnalyticsQueryRoute, registerAnalyticsRoutes } from './analytics/index.js';
import { FirehoseService, registerFirehoseRoutes } from './firehose/index.js';
import { openConsole } from './console/index.js';
import { AwsJsonRouter } from './plugins/aws-json.js';
import { registerErrorHandler, sendAwsError } from './plugins/errors.js';
import { registerHealthRoutes, storeProbes } from './plugins/health.js';
import { ServerMetrics } from './plugins/metrics.js';
import { registerRequestMetrics, requestIdFor, REQUEST_ID_HEADER } from './plugins/request-metrics.js';
import { JetStreamShardStore, LevelShardStore, StreamsService, registerStreamsRoutes, type ShardStore, type StreamKeys } from './streams/index.js';
import { listen, type Listener, type RequestHandler } from './transport.js';
import { FragmentStore, VideoService, registerVideoRoutes } from './video/index.js';
import { registerArchiveRoutes } from './video/archive/index.js';
import { registerPutMedia } from './video/put-media.js';
import { loadSessionKey } from './video/session-key.js';

export interface ServerDeps {
  config: ServerConfig;
  clock: Clock;
  logger: Logger;
  /** Defaults to LevelDB under <dataDir>/streams. */
  store?: ShardStore;
  /** Defaults to fragment files and a LevelDB index under <dataDir>/video. */
  videoStore?: FragmentStore;
  /** The key store for encryption at rest; null disables StartStreamEncryption. */
  keys?: StreamKeys | null;
  /** ffmpeg for clips, HLS and images (main.ts: FFMPEG_PATH, else ffmpeg on PATH). */
  ffmpegPath?: string;
  /** Installs request authentication (plugins/sigv4-auth.ts in production). */
  installAuth?: (app: FastifyInstance) => void;
}

export interface RivuletServer {
  app: FastifyInstance;
  streams: StreamsService;
  /** Video Streams; `video.fragments` is the FragmentWriter (PutMedia) and FragmentReader (reads). */
  video: VideoService;
  firehose: FirehoseService;
  analytics: AnalyticsService;
  authMode: 'sigv4' | 'none';
  /** The server's own Prometheus registry (GET /metrics). */
  metrics: ServerMetrics;
  listen(): Promise<Listener>;
  close(): Promise<void>;
}

/** auto means: none on loopback, sigv4 anywhere else. none beyond loopback is refused. */
export function resolveAuthMode(config: ServerConfig): 'sigv4' | 'none' {
  const loopback = isLoopbackHost(config.host);
  if (config.auth === 'none' && !loopback) {
    throw new ConfigError(`auth none is allowed only on loopback; ${config.host} is not loopback. Use --auth sigv4.`);
  }
  if (config.auth === 'auto') return loopback ? 'none' : 'sigv4';
  return config.auth;
}

/** The Data Streams store the config names: the embedded LevelDB store, or a JetStream cluster (issue 9). */
function shardStoreFor(config: ServerConfig, logger: Logger): ShardStore {
  if (config.storage.engine === 'jetstream') {
    const { servers, replicas, prefix } = config.storage;
    return new JetStreamShardStore({ servers, replicas, prefix, logger: logger.child({ service: 'streams', store: 'jetstream' }) });
  }
  return new LevelShardStore({ location: join(config.dataDir, 'streams'), syncWrites: config.syncWrites });
}

export async function buildServer(deps: ServerDeps): Promise<RivuletServer> {
  const { config, clock, logger } = deps;
  const authMode = resolveAuthMode(config);
  let handler: RequestHandler | null = null;
  const metrics = new ServerMetrics();
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: false,
    requestIdHeader: false,
    genReqId: (req) => requestIdFor(req.headers[REQUEST_ID_HEADER]),
    // One line per request, written when it completes (plugins/request-metrics.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // Errors Fastify raises before routing (an undecodable URL, say) get the AWS shape too.
    frameworkErrors: (error, request, reply) => void sendAwsError(error, request, reply, config.bodyLimitBytes),
    serverFactory: (h) => {
      handler = h as RequestHandler;
      // Fastify never listens on this server: transport.ts owns the socket and calls `h`.
      return http.createServer();
    },
  });
  // Services open in order; if a later step fails, the ones already open close, newest first.
  const opened: { close(): Promise<void> }[] = [];
  const opening = async <T extends { close(): Promise<void> }>(open: Promise<T>): Promise<T> => {
    const service = await open;
    opened.unshift(service);
    return service;
  };
  let streams: StreamsService;
  let video: VideoService;
  let firehose: FirehoseService;
  let analytics: AnalyticsService;
  try {
    streams = await opening(
      StreamsService.open({
        clock,
        store: deps.store ?? shardStoreFor(config, logger),
        keys: deps.keys ?? null,
        logger: logger.child({ service: 'streams' }),
        region: config.region,
        accountId: config.accountId,
        config: config.streams,
        ingestProcesses: config.storage.ingestProcesses,
        metrics: metrics.streams,
      }),
    );
    video = await opening(
      VideoService.open({
        clock,
        store: deps.videoStore ?? new FragmentStore({ location: join(config.dataDir, 'video'), syncWrites: config.syncWrites, cipher: deps.keys ?? null, logger: logger.child({ service: 'video' }) }),
        logger: logger.child({ service: 'video' }),
        region: config.region,
        accountId: config.accountId,
      }),
    );
    firehose = await opening(
      FirehoseService.open({
        clock,
        logger: logger.child({ service: 'firehose' }),
        dataDir: config.dataDir,
        config: config.firehose,
        syncWrites: config.syncWrites,
        region: config.region,
        accountId: config.accountId,
        streams,
        metrics: metrics.firehose,
      }),
    );
    analytics = await opening(
      AnalyticsService.open({
        clock,
        logger: logger.child({ service: 'analytics' }),
        dataDir: config.dataDir,
        syncWrites: config.syncWrites,
        region: config.region,
        accountId: config.accountId,
        config: config.analytics,
        functions: config.firehose.functions,
        streams,
        firehose,
        metrics: metrics.analytics,
      }),
    );
    registerErrorHandler(app, config.bodyLimitBytes);
    registerRequestMetrics(app, { metrics, bearerToken: config.metrics.bearerToken });
    metrics.watch({
      nowMs: () => clock.now(),
      openShards: () => streams.registry.list().map((s) => ({ stream: s.doc.name, shards: s.openShards.length })),
      deliveryStreams: () => firehose.list().map((d) => ({ name: d.doc.name, backlog: d.backlog(), lastDeliveryMs: d.stats.lastDeliveryMs })),
      leveldbDirs: { streams: join(config.dataDir, 'streams', 'index'), video: join(config.dataDir, 'video', 'index'), firehose: join(config.dataDir, 'firehose', 'index'), analytics: join(config.dataDir, 'analytics') },
    });
    registerHealthRoutes(app, { clock, probes: storeProbes({ dataDir: config.dataDir, streams: streams.deps.store, video: video.fragments, firehose: firehose.store, analytics: analytics.store }) });
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-amzn-requestid', request.id);
    });
    // The console's session hook runs before the SigV4 gate, which honours the session it finds.
    const webConsole = config.console.enabled
      ? await openConsole({ config: config.console, dataDir: config.dataDir, clock, streams, authMode, region: config.region, accountId: config.accountId })
      : null;
    webConsole?.installSessionHook(app);
    if (authMode === 'sigv4') {
      if (!deps.installAuth) throw new ConfigError('auth sigv4 needs credentials: create a key with `rivulet-ingest keys create`');
      deps.installAuth(app);
    }
    const router = new AwsJsonRouter();
    registerStreamsRoutes(router, streams);
    registerFirehoseRoutes(router, firehose);
    registerAnalyticsRoutes(router, analytics);
    router.register(app);
    registerVideoRoutes(app, video);
    registerAnalyticsQueryRoute(app, analytics);
    webConsole?.registerRoutes(app);
    registerPutMedia(app, { writer: video.fragments, streams: { stream: (name) => video.fragments.stream(name) }, clock, logger: logger.child({ service: 'video' }), metrics: metrics.video });
    registerArchiveRoutes(app, {
      reader: video.fragments,
      clock,
      logger: logger.child({ service: 'video' }),
      ffmpegPath: deps.ffmpegPath ?? 'ffmpeg',
      sessionKey: await loadSessionKey(join(config.dataDir, 'video', 'hls-session.key')),
      accountId: config.accountId,
    });
    await app.ready();
  } catch (err) {
    for (const service of opened) await service.close();
    throw err;
  }
  let listener: Listener | null = null;
  return {
    app,
    streams,
    video,
    firehose,
    analytics,
    authMode,
    metrics,
    async listen() {
      if (!handler) throw new ConfigError('fastify did not hand over its request handler');
      listener = await listen({
        host: config.host,
        port: config.port,
        handler,
        tls: config.tlsCertFile && config.tlsKeyFile ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } : undefined,
      });
      streams.start();
      video.start();
      firehose.start();
      analytics.start();
      return listener;
    },
    async close() {
      await listener?.close();
      await app.close();
      // Analytics first: it reads streams and writes to streams and Firehose; then Firehose,
      // whose stream sources read from the streams service.
      await analytics.close();
      await firehose.close();
      await streams.close();
      await video.close();
    },
  };
}
