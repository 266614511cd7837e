/**
 * AnalyticsService: Kinesis Data Analytics (SQL) applications on this server.
 *
 * Owns: the applications' lifecycle (READY ⇄ RUNNING), version checks, the rules the API
 * enforces across fields (one input, at most three outputs, code that compiles), starting
 * positions, resuming RUNNING applications after a restart, and loading reference data.
 * Does not own: request shapes (schemas.ts), the wire (routes.ts), the SQL (app/graph.ts),
 * or the loop (app/runner.ts).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { AnalyticsConfig } from '../config.js';
import { bucketFromArn, type FirehoseService } from '../firehose/index.js';
import type { StreamsService } from '../streams/index.js';
import { buildApplication, checkApplication, referenceTable, type BuiltApplication } from './app/build.js';
import { outputSink } from './app/outputs.js';
import { ApplicationRunner } from './app/runner.js';
import { ensureTap, inputStreamOf, removeTap } from './app/firehose-input.js';
import { StreamInput, type StartingPosition } from './app/source.js';
import { AnalyticsStore, type Checkpoint } from './app/store.js';
import { NO_ANALYTICS_METRICS, type AnalyticsMetrics } from './metrics.js';
import type { ApplicationDoc } from './model.js';

export interface AnalyticsDeps {
  clock: Clock;
  logger: Logger;
  dataDir: string;
  syncWrites: boolean;
  region: string;
  accountId: string;
  config: AnalyticsConfig;
  /** Lambda outputs resolve function ARNs against the server's configured functions. */
  functions: Record<string, { module?: string; url?: string }>;
  streams: StreamsService;
  firehose: FirehoseService;
  /** Per application rows, errors and lag for /metrics; none by default. */
  metrics?: AnalyticsMetrics;
}

/** KDA: an application has at most one input and three outputs. */
export const MAX_INPUTS = 1;
export const MAX_OUTPUTS = 3;

export class AnalyticsService {
  private readonly apps = new Map<string, ApplicationDoc>();
  private readonly runners = new Map<string, ApplicationRunner>();
  private started = false;
  private tapped = new Set<string>();

  private constructor(readonly deps: AnalyticsDeps, readonly store: AnalyticsStore) {}

  static async open(deps: AnalyticsDeps): Promise<AnalyticsService> {
    const store = new AnalyticsStore(join(deps.dataDir, 'analytics'), deps.syncWrites);
    await store.open();
    const svc = new AnalyticsService(deps, store);
    for (const doc of await store.listApps<ApplicationDoc>()) svc.apps.set(doc.name, doc);
    await svc.syncTaps();
    return svc;
  }

  /** Resumes the applications that were RUNNING when the server stopped, from their checkpoints. */
  start(): void {
    this.started = true;
    for (const doc of this.apps.values()) {
      if (doc.status !== 'RUNNING') continue;
      this.prepare(doc).then((prepared) => this.run(doc, prepared, 'resume')).catch((err: unknown) => {
        this.deps.logger.error({ app: doc.name, err }, 'analytics application could not resume');
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
    await this.store.close();
  }

  arnFor(name: string): string {
    return `arn:aws:kinesisanalytics:${this.deps.region}:${this.deps.accountId}:application/${name}`;
  }

  require(name: string): ApplicationDoc {
    const doc = this.apps.get(name);
    if (!doc) throw new RivuletError('ANALYTICS_NOT_FOUND', { message: `Application ${name} is not found in account ${this.deps.accountId}.` });
    return doc;
  }

  list(): ApplicationDoc[] {
    return [...this.apps.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async create(doc: ApplicationDoc): Promise<void> {
    if (this.apps.has(doc.name)) throw new RivuletError('ANALYTICS_IN_USE', { message: `Application ${doc.name} already exists.` });
    if (this.apps.size >= this.deps.config.applicationLimit) {
      throw new RivuletError('ANALYTICS_LIMIT', { message: `This account already has ${this.apps.size} applications; the limit is ${this.deps.config.applicationLimit}.` });
    }
    this.check(doc);
    await this.store.saveApp(doc.name, doc);
    this.apps.set(doc.name, doc);
    await this.syncTaps();
  }

  async delete(name: string, createTimestampSeconds: number): Promise<void> {
    const doc = this.require(name);
    if (Math.abs(doc.createdMs / 1000 - createTimestampSeconds) > 0.001) {
      throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `CreateTimestamp does not match application ${name}'s creation time.` });
    }
    await this.runners.get(name)?.stop();
    this.runners.delete(name);
    await this.store.deleteApp(name);
    this.apps.delete(name);
    await this.syncTaps();
  }

  /**
   * Applies a change to an application's configuration (UpdateApplication, Add*, Delete*):
   * checks the version, lets `mutate` edit a copy, checks the result, bumps the version, saves
   * it, and restarts a running application with it (reloading reference data).
   */
  async modify(name: string, currentVersionId: number, mutate: (doc: ApplicationDoc) => void): Promise<ApplicationDoc> {
    const doc = this.require(name);
    if (doc.versionId !== currentVersionId) {
      throw new RivuletError('ANALYTICS_CONCURRENT_MODIFICATION', { message: `Provided application version id (${currentVersionId}) does not match the current version (${doc.versionId}).` });
    }
    const next = structuredClone(doc);
    mutate(next);
    this.check(next);
    next.versionId++;
    next.updatedMs = this.deps.clock.now();
    const running = this.runners.get(name);
    // Everything that can fail (the code, reference data, the input stream) is tried before the
    // running application is touched: a refused change leaves it as it was, still running.
    const prepared = running ? await this.prepare(next) : null;
    if (running) {
      await running.stop();
      this.runners.delete(name);
    }
    await this.store.saveApp(name, next);
    this.apps.set(name, next);
    await this.syncTaps();
    // The new code may hold different operators: only the input positions carry over.
    if (prepared) await this.run(next, prepared, next.code === doc.code ? 'resume' : 'positions');
    return next;
  }

  async startApplication(name: string, startingPosition: 'NOW' | 'TRIM_HORIZON' | 'LAST_STOPPED_POINT'): Promise<void> {
    const doc = this.require(name);
    if (doc.status !== 'READY') throw new RivuletError('ANALYTICS_IN_USE', { message: `Application ${name} is ${doc.status}; it can be started only when READY.` });
    if (doc.inputs.length === 0) throw new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message: `Application ${name} has no input to start.` });
    const prepared = await this.prepare(doc);
    // LAST_STOPPED_POINT keeps where the input started: shards the checkpoint does not cover
    // (none was read yet) are read from that same point, not from now.
    const resume = startingPosition === 'LAST_STOPPED_POINT' && doc.startedMs !== undefined;
    if (!resume) {
      await this.store.resetCheckpoint(name);
      doc.inputStart = startingPosition === 'TRIM_HORIZON' ? 'TRIM_HORIZON' : 'NOW';
      doc.startedMs = this.deps.clock.now();
    }
    doc.startingPosition = startingPosition;
    await this.run(doc, prepared, 'resume');
    doc.status = 'RUNNING';
    await this.store.saveApp(name, doc);
  }

  async stopApplication(name: string): Promise<void> {
    const doc = this.require(name);
    if (doc.status !== 'RUNNING') return;
    await this.runners.get(name)?.stop();
    this.runners.delete(name);
    doc.status = 'READY';
    await this.store.saveApp(name, doc);
  }

  async saveTags(doc: ApplicationDoc): Promise<void> {
    await this.store.saveApp(doc.name, doc);
  }

  /**
   * Every Direct PUT delivery stream an application reads is tapped from the moment the
   * application exists (as a data stream input holds its records whether or not the
   * application runs); one no application reads any more is untapped.
   */
  private async syncTaps(): Promise<void> {
    const wanted = new Set<string>();
    for (const doc of this.apps.values()) {
      for (const input of doc.inputs) {
        try {
          const { tapOf } = inputStreamOf(input, this.deps);
          if (tapOf) wanted.add(tapOf);
        } catch (err) {
          // A delivery stream deleted under an application: StartApplication will say so.
          this.deps.logger.warn({ app: doc.name, err }, 'analytics input cannot be resolved');
        }
      }
    }
    for (const name of wanted) await ensureTap(name, this.deps);
    for (const name of this.tapped) if (!wanted.has(name)) removeTap(name, this.deps);
    this.tapped = wanted;
  }

  private check(doc: ApplicationDoc): void {
    if (doc.inputs.length > MAX_INPUTS) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `An application has at most ${MAX_INPUTS} input.` });
    if (doc.outputs.length > MAX_OUTPUTS) throw new RivuletError('ANALYTICS_LIMIT', { message: `An application has at most ${MAX_OUTPUTS} outputs.` });
    for (const input of doc.inputs) {
      if (input.KinesisFirehoseInput && input.KinesisStreamsInput) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `Input ${input.InputId} names both a stream and a delivery stream.` });
      inputStreamOf(input, this.deps);
      if (input.InputProcessingConfiguration) throw new RivuletError('ANALYTICS_UNSUPPORTED', { message: 'Input preprocessing with a Lambda function is not supported by this server.' });
    }
    for (const r of doc.references) {
      if (!r.S3ReferenceDataSource) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `Reference data source ${r.TableName} needs S3ReferenceDataSource.` });
      bucketFromArn(r.S3ReferenceDataSource.BucketARN);
    }
    checkApplication(doc);
    for (const o of doc.outputs) outputSink(o, this.outputDeps(doc));
  }

  private outputDeps(doc: ApplicationDoc) {
    return { streams: this.deps.streams, firehose: this.deps.firehose, functions: this.deps.functions, clock: this.deps.clock, applicationArn: doc.arn };
  }

  /** Builds everything a run needs, or throws the error StartApplication or an update reports. */
  private async prepare(doc: ApplicationDoc): Promise<{ built: BuiltApplication; streamName: string }> {
    const built: BuiltApplication = buildApplication(doc, { graceMs: this.deps.config.graceMs, now: () => this.deps.clock.now() });
    const input = built.inputs[0];
    if (!input) throw new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message: `Application ${doc.name} has no input to start.` });
    const { streamName, tapOf } = inputStreamOf(input.doc, this.deps);
    if (tapOf) await ensureTap(tapOf, this.deps);
    try {
      this.deps.streams.registry.require({ StreamName: streamName });
    } catch (err) {
      throw new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message: `The input stream ${streamName} does not exist.` }, { cause: err });
    }
    await this.loadReferences(doc, built);
    return { built, streamName };
  }

  /** Starts a prepared application. 'resume' restores the whole checkpoint; 'positions' only where the input stopped. */
  private async run(doc: ApplicationDoc, prepared: { built: BuiltApplication; streamName: string }, mode: 'resume' | 'positions'): Promise<void> {
    const { built, streamName } = prepared;
    const input = built.inputs[0]!;
    let checkpoint: Checkpoint | null = await this.store.loadCheckpoint(doc.name);
    const positions = checkpoint?.snapshot?.positions ?? {};
    if (mode === 'positions' && checkpoint) checkpoint = null;
    const start: StartingPosition = doc.inputStart === 'TRIM_HORIZON' ? { kind: 'TRIM_HORIZON' } : { kind: 'AT_TIMESTAMP', timestampMs: doc.startedMs ?? this.deps.clock.now() };
    const config = this.deps.config;
    const source = new StreamInput(streamName, start, positions, {
      streams: this.deps.streams,
      now: () => this.deps.clock.now(),
      commitSkewMs: config.commitSkewMs,
      readLimit: config.readLimit,
    });
    const runner = new ApplicationRunner(
      doc.name,
      built.graph,
      { streamName: input.streamName, source, decode: input.decode.into },
      built.outputs.map((o) => ({ id: o.doc.OutputId, streamName: o.doc.Name, sink: outputSink(o.doc, this.outputDeps(doc)), encode: o.encode })),
      {
        clock: this.deps.clock,
        logger: this.deps.logger,
        store: this.store,
        pollIntervalMs: config.pollIntervalMs,
        snapshotIntervalMs: config.snapshotIntervalMs,
        maxRetryDelayMs: config.maxRetryDelayMs,
        metrics: (this.deps.metrics ?? NO_ANALYTICS_METRICS).application(doc.name),
      },
    );
    runner.restore(checkpoint);
    this.runners.set(doc.name, runner);
    if (this.started) runner.start();
  }

  /** Reads each reference data object and hands it to the graph (at start and on every update). */
  private async loadReferences(doc: ApplicationDoc, built: BuiltApplication): Promise<void> {
    for (const t of built.tables) {
      const s3 = t.doc.S3ReferenceDataSource!;
      let data: Buffer;
      try {
        data = await this.deps.firehose.readObject(bucketFromArn(s3.BucketARN), s3.FileKey);
      } catch (err) {
        throw new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message: `Reference data ${t.doc.TableName} could not be read from ${s3.BucketARN}/${s3.FileKey}: ${(err as Error).message}` }, { cause: err });
      }
      const { table, skipped } = referenceTable(t.decode, data);
      if (skipped > 0) this.deps.logger.warn({ app: doc.name, table: t.doc.TableName, skipped }, 'reference data rows that do not match the schema were skipped');
      built.graph.setTable(t.doc.TableName, table);
    }
  }
}
