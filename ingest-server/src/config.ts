/**
 * rivulet-ingest configuration: one TypeBox schema holds the fields, their defaults and docs.
 * loadConfig() layers defaults < JSON config file < environment < command-line flags, then
 * validates once and fails fast naming the bad field's path.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const ThroughputLimits = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'Enforce per-shard limits; switch off for bulk replay' }),
  writeRecordsPerSecond: Type.Integer({ minimum: 1, default: 1000 }),
  writeBytesPerSecond: Type.Integer({ minimum: 1, default: 1024 * 1024 }),
  readCallsPerSecond: Type.Number({ exclusiveMinimum: 0, default: 5 }),
  readBytesPerSecond: Type.Integer({ minimum: 1, default: 2 * 1024 * 1024 }),
});

export const StreamsConfig = Type.Object({
  limits: Type.Object(ThroughputLimits.properties, { default: {} }),
  shardLimit: Type.Integer({ minimum: 1, default: 500, description: 'Open shards per account' }),
  onDemandStreamLimit: Type.Integer({ minimum: 0, default: 50 }),
  onDemandInitialShards: Type.Integer({ minimum: 1, default: 4 }),
  retentionCheckIntervalMs: Type.Integer({ minimum: 100, default: 60_000 }),
  autoscale: Type.Object(
    {
      intervalMs: Type.Integer({ minimum: 100, default: 60_000 }),
      /** A shard whose write rate passes this share of its limit is split. */
      thresholdRatio: Type.Number({ exclusiveMinimum: 0, default: 0.5 }),
      maxShardsPerStream: Type.Integer({ minimum: 1, default: 64 }),
    },
    { default: {} },
  ),
});

/** Where a Firehose bucket lives: a directory (the embedded default) or an S3-compatible server. */
export const BucketConfig = Type.Union([
  Type.Object({ directory: Type.String({ description: 'Objects are files under this directory' }) }),
  Type.Object({
    endpoint: Type.String({ description: 'S3-compatible endpoint, e.g. http://127.0.0.1:7480' }),
    region: Type.String({ default: 'us-east-1' }),
    forcePathStyle: Type.Boolean({ default: true }),
    accessKeyId: Type.Optional(Type.String()),
    secretAccessKey: Type.Optional(Type.String()),
    /** The bucket's name on that server, when it differs from the name in the BucketARN. */
    bucket: Type.Optional(Type.String()),
  }),
]);
export type BucketConfig = Static<typeof BucketConfig>;

export const FirehoseConfig = Type.Object({
  /** BucketARN arn:aws:s3:::<name> resolves here; a bucket not listed is <dataDir>/firehose/buckets/<name>. */
  buckets: Type.Record(Type.String(), BucketConfig, { default: {} }),
  /** Lambda processors: arn:aws:lambda:...:function:<name> resolves to a local JS module or an HTTP URL. */
  functions: Type.Record(Type.String(), Type.Object({ module: Type.Optional(Type.String()), url: Type.Optional(Type.String()) }), { default: {} }),
  /** The table catalog for Parquet conversion (AWS reads it from Glue): "<database>.<table>" -> columns. */
  tables: Type.Record(Type.String(), Type.Object({ columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String() })) }), { default: {} }),
  deliveryStreamLimit: Type.Integer({ minimum: 1, default: 50 }),
  /** Firehose: 500 active partitions per delivery stream by default. */
  maxActivePartitions: Type.Integer({ minimum: 1, default: 500 }),
  /** PutRecord(Batch) answers ServiceUnavailableException while this many bytes wait for processing. */
  maxPendingBytes: Type.Integer({ minimum: 1024 * 1024, default: 64 * 1024 * 1024 }),
  sourcePollIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
  /** Object-store and Postgres deliveries are retried with backoff up to this cap between tries. */
  maxRetryDelayMs: Type.Integer({ minimum: 10, default: 30_000 }),
  deliveryConcurrency: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
});
export type FirehoseConfig = Static<typeof FirehoseConfig>;

export const AnalyticsConfig = Type.Object({
  /** KDA: 50 applications per account and region by default. */
  applicationLimit: Type.Integer({ minimum: 1, default: 50 }),
  /** How often a running application looks for new input records when it has caught up. */
  pollIntervalMs: Type.Integer({ minimum: 1, default: 20 }),
  /** How long a put may take from its arrival stamp to its commit; the input watermark trails the tip by this much. */
  commitSkewMs: Type.Integer({ minimum: 0, default: 20 }),
  /** How long an event-time or stagger window stays open after its end for late rows. */
  graceMs: Type.Integer({ minimum: 0, default: 0 }),
  /** A snapshot of every operator's state is written at most this often while input flows. */
  snapshotIntervalMs: Type.Integer({ minimum: 0, default: 5_000 }),
  /** Output deliveries are retried with backoff up to this cap between tries. */
  maxRetryDelayMs: Type.Integer({ minimum: 10, default: 10_000 }),
  /** Records read per shard per poll. */
  readLimit: Type.Integer({ minimum: 1, maximum: 10_000, default: 10_000 }),
});
export type AnalyticsConfig = Static<typeof AnalyticsConfig>;

export const ConsoleConfig = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'Serve the web console at /console' }),
  /** Data streams the Agents page reads device-health records from. */
  healthStreams: Type.Array(Type.String({ minLength: 1 }), { default: ['device-health'] }),
  /** A console login lasts this long. */
  sessionHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 30, default: 12 }),
});
export type ConsoleConfig = Static<typeof ConsoleConfig>;

export const MetricsConfig = Type.Object({
  /** With auth sigv4, a scraper sending `Authorization: Bearer <token>` may read /metrics unsigned. */
  bearerToken: Type.Optional(Type.String({ minLength: 16 })),
});

/** Where Data Streams keeps its shards (issue 9): the embedded LevelDB store, or a NATS JetStream cluster. */
export const StorageConfig = Type.Object({
  engine: Type.Union([Type.Literal('leveldb'), Type.Literal('jetstream')], { default: 'leveldb' }),
  /** NATS URLs of the JetStream cluster (engine jetstream); list every node so the client fails over. */
  servers: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { minItems: 1, default: ['nats://127.0.0.1:4222'] }),
  /** JetStream replicas per stream: 3 survives the loss of one node; 1 is for tests only. */
  replicas: Type.Integer({ minimum: 1, maximum: 5, default: 3 }),
  /** Namespaces the JetStream stream names and subjects, so several deployments can share a cluster. */
  prefix: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'rivulet' }),
  /**
   * How many rivulet-ingest processes serve these streams behind one load balancer. Each enforces
   * 1/N of every per-shard limit, so together they enforce the limit while requests are spread
   * evenly (README "Scaling out").
   */
  ingestProcesses: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
});
export type StorageConfig = Static<typeof StorageConfig>;

export const ServerConfig = Type.Object({
  host: Type.String({ default: '127.0.0.1' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 4567 }),
  dataDir: Type.String({ default: './data' }),
  /** "auto" means none on loopback and sigv4 anywhere else. */
  auth: Type.Union([Type.Literal('sigv4'), Type.Literal('none'), Type.Literal('auto')], { default: 'auto' }),
  credentialsFile: Type.Optional(Type.String()),
  region: Type.String({ default: 'us-east-1' }),
  accountId: Type.String({ pattern: '^\\d{12}$', default: '000000000000' }),
  syncWrites: Type.Boolean({ default: true, description: 'fsync each group commit before acknowledging' }),
  tlsCertFile: Type.Optional(Type.String()),
  tlsKeyFile: Type.Optional(Type.String()),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  bodyLimitBytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  storage: Type.Object(StorageConfig.properties, { default: {} }),
  streams: Type.Object(StreamsConfig.properties, { default: {} }),
  firehose: Type.Object(FirehoseConfig.properties, { default: {} }),
  analytics: Type.Object(AnalyticsConfig.properties, { default: {} }),
  metrics: Type.Object(MetricsConfig.properties, { default: {} }),
  console: Type.Object(ConsoleConfig.properties, { default: {} }),
});
export type ServerConfig = Static<typeof ServerConfig>;

export class ConfigError extends Error {}

const FLAGS: Record<string, { key: keyof ServerConfig; env: string; kind: 'string' | 'number' | 'boolean' }> = {
  '--host': { key: 'host', env: 'RIVULET_HOST', kind: 'string' },
  '--port': { key: 'port', env: 'RIVULET_PORT', kind: 'number' },
  '--data-dir': { key: 'dataDir', env: 'RIVULET_DATA_DIR', kind: 'string' },
  '--auth': { key: 'auth', env: 'RIVULET_AUTH', kind: 'string' },
  '--credentials-file': { key: 'credentialsFile', env: 'RIVULET_CREDENTIALS_FILE', kind: 'string' },
  '--region': { key: 'region', env: 'RIVULET_REGION', kind: 'string' },
  '--sync-writes': { key: 'syncWrites', env: 'RIVULET_SYNC_WRITES', kind: 'boolean' },
  '--tls-cert': { key: 'tlsCertFile', env: 'RIVULET_TLS_CERT', kind: 'string' },
  '--tls-key': { key: 'tlsKeyFile', env: 'RIVULET_TLS_KEY', kind: 'string' },
  '--log-level': { key: 'logLevel', env: 'RIVULET_LOG_LEVEL', kind: 'string' },
};

function coerce(raw: string, kind: 'string' | 'number' | 'boolean', name: string): unknown {
  if (kind === 'string') return raw;
  if (kind === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(`${name}: expected a number, got "${raw}"`);
    return n;
  }
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
}

/** Validates a partial config, fills defaults, and throws ConfigError naming the bad path. */
export function resolveConfig(input: unknown): ServerConfig {
  const withDefaults = Value.Default(ServerConfig, structuredClone(input ?? {}));
  const first = Value.Errors(ServerConfig, withDefaults).First();
  if (first) throw new ConfigError(`config${first.path.replace(/\//g, '.')}: ${first.message}`);
  const config = withDefaults as ServerConfig;
  return { ...config, dataDir: resolve(config.dataDir) };
}

/** Layers defaults, `--config file.json`, environment and flags. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  let fileConfig: Record<string, unknown> = {};
  const fromFlags: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    const value = inline ?? argv[i + 1];
    if (name === '--config') {
      if (value === undefined) throw new ConfigError('--config needs a file path');
      fileConfig = JSON.parse(readFileSync(value, 'utf8')) as Record<string, unknown>;
    } else if (FLAGS[name]) {
      if (value === undefined) throw new ConfigError(`${name} needs a value`);
      fromFlags[FLAGS[name].key] = coerce(value, FLAGS[name].kind, name);
    } else {
      throw new ConfigError(`unknown option ${name}`);
    }
    if (inline === undefined) i++;
  }
  const fromEnv: Record<string, unknown> = {};
  for (const spec of Object.values(FLAGS)) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') fromEnv[spec.key] = coerce(raw, spec.kind, spec.env);
  }
  // The storage block is nested, so its two environment overrides are layered field by field.
  const storageEnv: Record<string, unknown> = {};
  if (env['RIVULET_STORAGE_ENGINE']) storageEnv['engine'] = env['RIVULET_STORAGE_ENGINE'];
  if (env['RIVULET_NATS_SERVERS']) storageEnv['servers'] = env['RIVULET_NATS_SERVERS'].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Object.keys(storageEnv).length > 0) fromEnv['storage'] = { ...(fileConfig['storage'] as Record<string, unknown> | undefined), ...storageEnv };
  return resolveConfig({ ...fileConfig, ...fromEnv, ...fromFlags });
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
