/**
 * The Firehose service: owns the FirehoseStore, the running DeliveryStreams and their stream
 * sources, and the object sinks per bucket. No Fastify imports; actions/ call into it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { FirehoseConfig } from '../config.js';
import type { StreamsService } from '../streams/index.js';
import { chunkRecords, type Chunk } from './chunk.js';
import { DeliveryStream } from './delivery-stream.js';
import { FileObjectSink } from './destinations/file-sink.js';
import type { ObjectSink } from './destinations/object-sink.js';
import { PostgresLoader } from './destinations/postgres.js';
import { S3ObjectSink } from './destinations/s3-sink.js';
import type { DeliveryStreamDoc } from './model.js';
import { compilePlan, type DeliveryPlan } from './plan.js';
import { NO_FIREHOSE_METRICS, type FirehoseMetrics } from './metrics.js';
import { FirehoseStore } from './store.js';
import { StreamSource } from './stream-source.js';

export interface FirehoseDeps {
  clock: Clock;
  logger: Logger;
  dataDir: string;
  config: FirehoseConfig;
  syncWrites: boolean;
  region: string;
  accountId: string;
  streams: StreamsService;
  /** Timers for retries; the real clock's setTimer by default. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Per delivery stream counts for /metrics; none by default. */
  metrics?: FirehoseMetrics;
}

interface Running {
  stream: DeliveryStream;
  source: StreamSource | null;
}

export class FirehoseService {
  private readonly running = new Map<string, Running>();
  /**
   * Delivery streams whose stored configuration no longer compiles (a bucket, function or table
   * removed from the server config): they keep their data, answer Describe with the reason, and
   * refuse records until UpdateDestination or a config fix makes them valid again.
   */
  private readonly broken = new Map<string, { doc: DeliveryStreamDoc; reason: string }>();
  private readonly sinks = new Map<string, ObjectSink>();
  private readonly taps = new Map<string, (records: Buffer[]) => Promise<void>>();
  private started = false;

  private constructor(
    readonly deps: FirehoseDeps,
    readonly store: FirehoseStore,
  ) {}

  static async open(deps: FirehoseDeps): Promise<FirehoseService> {
    const store = new FirehoseStore(join(deps.dataDir, 'firehose'), deps.syncWrites);
    await store.open();
    const svc = new FirehoseService(deps, store);
    for (const doc of await store.loadDocs()) {
      let plan: DeliveryPlan;
      try {
        plan = svc.compile(doc);
      } catch (err) {
        const reason = (err as Error).message;
        deps.logger.error({ stream: doc.name, err: reason }, 'delivery stream configuration is no longer valid; it keeps its data and delivers nothing until fixed');
        svc.broken.set(doc.name, { doc, reason });
        continue;
      }
      await svc.attach(doc, plan);
    }
    return svc;
  }

  get sleep(): (ms: number) => Promise<void> {
    return this.deps.sleep ?? ((ms) => new Promise((resolve) => this.deps.clock.setTimer(resolve, ms)));
  }

  arnFor(name: string): string {
    return `arn:aws:firehose:${this.deps.region}:${this.deps.accountId}:deliverystream/${name}`;
  }

  list(): DeliveryStream[] {
    return [...this.running.values()].map((r) => r.stream).sort((a, b) => (a.doc.name < b.doc.name ? -1 : 1));
  }

  require(name: string): Running {
    const r = this.running.get(name);
    if (r) return r;
    const broken = this.broken.get(name);
    if (broken) throw new RivuletError('FIREHOSE_UNAVAILABLE', { message: `Firehose ${name} cannot deliver: ${broken.reason}` });
    throw new RivuletError('FIREHOSE_NOT_FOUND', { stream: name, account: this.deps.accountId });
  }

  /** The stored document of a running or broken delivery stream. */
  docOf(name: string): DeliveryStreamDoc {
    const doc = this.running.get(name)?.stream.doc ?? this.broken.get(name)?.doc;
    if (!doc) throw new RivuletError('FIREHOSE_NOT_FOUND', { stream: name, account: this.deps.accountId });
    return doc;
  }

  docs(): DeliveryStreamDoc[] {
    return [...this.list().map((s) => s.doc), ...[...this.broken.values()].map((b) => b.doc)].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Why a delivery stream is not delivering now: broken config, unreadable source, or a failing batch. */
  failureOf(name: string): string | null {
    const broken = this.broken.get(name);
    if (broken) return `Configuration no longer valid: ${broken.reason}`;
    const r = this.running.get(name);
    if (!r) return null;
    if (r.source?.lastError) return r.source.lastError;
    const { stats } = r.stream;
    return stats.failingBatches > 0 && stats.lastError ? `${stats.lastError.code}: ${stats.lastError.message}` : null;
  }

  /** Validates a configuration into a plan; throws InvalidArgumentException for what AWS refuses. */
  compile(doc: Pick<DeliveryStreamDoc, 'destination'>): DeliveryPlan {
    return compilePlan(doc, this.deps.config, (bucket) => this.sink(bucket));
  }

  async create(doc: DeliveryStreamDoc): Promise<void> {
    if (this.running.has(doc.name) || this.broken.has(doc.name)) throw new RivuletError('FIREHOSE_IN_USE', { message: `Firehose ${doc.name} under accountId ${this.deps.accountId} already exists` });
    if (this.running.size + this.broken.size >= this.deps.config.deliveryStreamLimit) {
      throw new RivuletError('FIREHOSE_LIMIT', { message: `You have already consumed your firehose quota of ${this.deps.config.deliveryStreamLimit} hoses. Firehose names: ${[...this.running.keys()].join(', ')}` });
    }
    if (doc.source) this.deps.streams.registry.require({ StreamName: doc.source.streamName });
    const plan = this.compile(doc);
    await this.store.saveDoc(doc);
    await this.attach(doc, plan);
  }

  async delete(name: string): Promise<void> {
    const broken = this.broken.get(name);
    if (broken) {
      this.broken.delete(name);
      await this.store.deleteStream(broken.doc);
      return;
    }
    const r = this.require(name);
    this.running.delete(name);
    await r.source?.stop();
    await r.stream.close(0);
    await this.store.deleteStream(r.stream.doc);
  }

  async update(doc: DeliveryStreamDoc): Promise<void> {
    const plan = this.compile(doc);
    if (this.broken.delete(doc.name)) {
      // A fixed configuration: the stream starts, with the data it kept.
      await this.store.saveDoc(doc);
      await this.attach(doc, plan);
      return;
    }
    const r = this.require(doc.name);
    // Records buffered under the old configuration go out under it first.
    await r.stream.flush();
    await this.store.saveDoc(doc);
    r.stream.updatePlan(doc, plan);
  }

  async saveTags(doc: DeliveryStreamDoc): Promise<void> {
    await this.store.saveDoc(doc);
    const broken = this.broken.get(doc.name);
    if (broken) broken.doc = doc;
    else this.require(doc.name).stream.doc = doc;
  }

  /** Direct PUT. Refused for a stream-sourced delivery stream, and throttled past the pending-bytes limit. */
  async put(name: string, chunk: Chunk): Promise<string[]> {
    const { stream } = this.require(name);
    if (stream.doc.type !== 'DirectPut') {
      throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `This operation is not permitted on KinesisStreamAsSource delivery stream type.` });
    }
    if (stream.pendingBytes > this.deps.config.maxPendingBytes) {
      throw new RivuletError('FIREHOSE_UNAVAILABLE', { message: 'Slow down.' });
    }
    // The tap persists its copy first: if the process dies between the two writes, the client
    // saw an error and retries, so the tap's reader may see a record twice but never misses one.
    const tap = this.taps.get(name);
    if (tap) await tap(chunkRecords(chunk));
    return stream.ingest([chunk]);
  }

  /**
   * Taps a Direct PUT delivery stream: every record accepted from now on is first handed to
   * `tap`, which must persist it (Analytics applications read delivery streams so). A failing
   * tap fails the put. `undefined` removes the tap.
   */
  setTap(name: string, tap: ((records: Buffer[]) => Promise<void>) | undefined): void {
    if (tap) this.taps.set(name, tap);
    else this.taps.delete(name);
  }

  start(): void {
    this.started = true;
    for (const r of this.running.values()) r.source?.start();
  }

  async close(): Promise<void> {
    for (const r of this.running.values()) await r.source?.stop();
    await Promise.all([...this.running.values()].map((r) => r.stream.close(5_000)));
    this.running.clear();
    for (const sink of this.sinks.values()) if (sink instanceof S3ObjectSink) sink.close();
    await this.store.close();
  }

  newStreamId(): string {
    return randomBytes(16).toString('hex');
  }

  private async attach(doc: DeliveryStreamDoc, plan: DeliveryPlan): Promise<void> {
    const stream = new DeliveryStream(doc, plan, {
      store: this.store,
      clock: this.deps.clock,
      logger: this.deps.logger,
      config: this.deps.config,
      sleep: this.sleep,
      random: this.deps.random ?? Math.random,
      newId: randomUUID,
      postgresLoader: (target) => new PostgresLoader(target),
      metrics: (this.deps.metrics ?? NO_FIREHOSE_METRICS).deliveryStream(doc.name),
    });
    let source: StreamSource | null = null;
    if (doc.source) {
      source = new StreamSource(stream, {
        streams: this.deps.streams,
        clock: this.deps.clock,
        pollIntervalMs: this.deps.config.sourcePollIntervalMs,
        maxPendingBytes: this.deps.config.maxPendingBytes,
        checkpoints: await this.store.checkpoints(doc.id),
      });
    }
    this.running.set(doc.name, { stream, source });
    await stream.recover();
    if (this.started) source?.start();
  }

  /** Reads an object from a bucket as Firehose resolves it (a directory, or S3-compatible storage). */
  async readObject(bucket: string, key: string): Promise<Buffer> {
    return this.sink(bucket).get(key);
  }

  private sink(bucket: string): ObjectSink {
    let sink = this.sinks.get(bucket);
    if (sink) return sink;
    const cfg = this.deps.config.buckets[bucket];
    if (!cfg || 'directory' in cfg) {
      // A directory bucket exists as soon as a delivery stream names it.
      const dir = cfg ? cfg.directory : join(this.deps.dataDir, 'firehose', 'buckets', bucket);
      mkdirSync(dir, { recursive: true });
      sink = new FileObjectSink(dir);
    } else {
      sink = new S3ObjectSink({
        bucket: cfg.bucket ?? bucket,
        endpoint: cfg.endpoint,
        region: cfg.region,
        forcePathStyle: cfg.forcePathStyle,
        ...(cfg.accessKeyId && cfg.secretAccessKey ? { credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey } } : {}),
      });
    }
    this.sinks.set(bucket, sink);
    return sink;
  }
}
