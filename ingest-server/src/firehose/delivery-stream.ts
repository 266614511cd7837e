/**
 * DeliveryStream: one delivery stream at run time. It accepts records (persisted before the
 * caller is answered), runs them through the pipeline into partition buffers, cuts batches into
 * the store, and delivers them with its own scheduler, so a failing destination only ever holds
 * up its own stream. Recovery re-queues undelivered batches (same ids) and unprocessed records.
 *
 * Scheduling: processing is single-flight and in arrival order; cuts are persisted in cut order;
 * up to `deliveryConcurrency` batches are delivered at once, each retried with capped
 * exponential backoff and full jitter until it is delivered or, for the HTTP endpoint and
 * PostgreSQL, until its retry window ends and it goes to the error output instead.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { RivuletError, type Clock } from '@rivulet/shared';
import type { FirehoseConfig } from '../config.js';
import { summarizeBacklog, type Backlog } from './backlog.js';
import { PartitionBuffers, type OpenBuffer } from './buffers.js';
import { deliverBatch, failedDeliveryLines, type DeliveryVerdict } from './delivery.js';
import type { PostgresLoader } from './destinations/postgres.js';
import { destinationLabel, NO_FIREHOSE_METRICS, type DeliveryStreamMetrics } from './metrics.js';
import type { BatchDoc, DeliveryStreamDoc } from './model.js';
import { partitioningFailed, processRecords, type RoutedItem } from './pipeline.js';
import type { DeliveryPlan } from './plan.js';
import { errorPrefixTemplate, renderPrefix } from './processing/prefix.js';
import { chunkRecords, setChunkArrival, type Chunk } from './chunk.js';
import { ChunkLedger } from './chunk-ledger.js';
import { CHUNK_SPAN, chunkOf, type CheckpointWrite, type FirehoseStore, type RawRecord } from './store.js';

export interface DeliveryStreamDeps {
  store: FirehoseStore;
  clock: Clock;
  logger: Logger;
  config: FirehoseConfig;
  sleep(ms: number): Promise<void>;
  random(): number;
  newId(): string;
  postgresLoader(target: Extract<DeliveryPlan['destination'], { kind: 'postgres' }>['target']): PostgresLoader;
  metrics?: DeliveryStreamMetrics;
}

export interface DeliveryStats {
  incomingRecords: number;
  incomingBytes: number;
  deliveredRecords: number;
  deliveredBytes: number;
  deliveredBatches: number;
  failedAttempts: number;
  /** Batches that failed their last attempt and are waiting to retry. */
  failingBatches: number;
  errorRecords: number;
  lastDeliveryMs: number | null;
  lastError: { atMs: number; code: string; message: string } | null;
}

const NO_KEYS = { query: {}, lambda: {} };

/** Cut batches kept in memory for their first delivery, at most this many bytes. */
const CACHE_BYTES = 8 * 1024 * 1024;
const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class DeliveryStream {
  readonly stats: DeliveryStats = { incomingRecords: 0, incomingBytes: 0, deliveredRecords: 0, deliveredBytes: 0, deliveredBatches: 0, failedAttempts: 0, failingBatches: 0, errorRecords: 0, lastDeliveryMs: null, lastError: null };
  private readonly buffers: PartitionBuffers;
  private nextChunk = 0;
  private readonly ledger = new ChunkLedger();
  private nextBatchSeq = 0;
  /** Raw records waiting for the pipeline. */
  private queue: RawRecord[] = [];
  private queuedBytes = 0;
  private processing: Promise<void> | null = null;
  private cutChain: Promise<void> = Promise.resolve();
  /** Bytes of cut batches still being written to the store. */
  private cuttingBytes = 0;
  private readonly ready: BatchDoc[] = [];
  private delivering = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Records of recently cut batches, so a first delivery need not read the file back. */
  private readonly cached = new Map<number, Buffer[]>();
  private cachedBytes = 0;
  private loader: PostgresLoader | null = null;
  /** Pending retry waits; close() ends them so no delivery loop outlives the stream. */
  private readonly wakers = new Set<() => void>();
  /** Cut batches not yet delivered: being stored, waiting, or in delivery (the backlog). */
  private readonly outstanding = new Set<BatchDoc>();
  private readonly metrics: DeliveryStreamMetrics;

  constructor(
    public doc: DeliveryStreamDoc,
    public plan: DeliveryPlan,
    private readonly deps: DeliveryStreamDeps,
  ) {
    this.buffers = new PartitionBuffers(this.limits(), deps.clock, (buf) => this.onCut(buf));
    this.metrics = deps.metrics ?? NO_FIREHOSE_METRICS.deliveryStream(doc.name);
  }

  /** Accepted records not yet delivered, and the oldest one's arrival (DataFreshness). */
  backlog(): Backlog {
    return summarizeBacklog(this.queue, this.buffers.summary(), this.outstanding);
  }

  /** Bytes accepted but not yet in a cut batch: PutRecord(Batch) is throttled past the limit. */
  get pendingBytes(): number {
    return this.queuedBytes + this.buffers.bufferedBytes + this.cuttingBytes;
  }

  get backlogBatches(): number {
    return this.ready.length + this.delivering;
  }

  /** Picks up where a previous run stopped: undelivered batches first, then unprocessed records. */
  async recover(): Promise<void> {
    const batches = await this.deps.store.loadBatches(this.doc.id);
    this.nextBatchSeq = await this.deps.store.nextBatchSeq(this.doc.id);
    for (const b of batches) this.nextBatchSeq = Math.max(this.nextBatchSeq, b.seq + 1);
    this.ready.push(...batches);
    for (const b of batches) this.outstanding.add(b);
    const owned = new Set(batches.flatMap((b) => b.chunks ?? []));
    const { records: raws, consumed, sizes } = await this.deps.store.readChunks(this.doc.id, owned);
    for (const [id, size] of sizes) {
      const done = consumed.get(id) ?? [];
      this.ledger.restore(id, size, done);
      this.nextChunk = Math.max(this.nextChunk, id + 1);
    }
    if (raws.length > 0 || batches.length > 0) this.deps.logger.info({ stream: this.doc.name, batches: batches.length, records: raws.length }, 'recovered undelivered firehose data');
    this.enqueue(raws);
    this.pump();
  }

  updatePlan(doc: DeliveryStreamDoc, plan: DeliveryPlan): void {
    this.doc = doc;
    this.plan = plan;
    this.buffers.setLimits(this.limits());
    void this.loader?.close();
    this.loader = null;
  }

  /**
   * Persists the chunks (each at most CHUNK_SPAN records), then queues them for processing.
   * Resolves with their record ids.
   */
  async ingest(input: readonly Chunk[], checkpoint?: CheckpointWrite): Promise<string[]> {
    if (this.closed) throw new RivuletError('FIREHOSE_UNAVAILABLE', { message: 'The delivery stream is shutting down' });
    const arrivalMs = this.deps.clock.now();
    const chunks = input.map((chunk) => {
      setChunkArrival(chunk, arrivalMs);
      return { id: this.nextChunk++, buffer: chunk.buffer, chunk };
    });
    await this.deps.store.appendChunks(this.doc.id, chunks, checkpoint);
    const ids: string[] = [];
    const work: RawRecord[] = [];
    const whole = this.wholeChunks;
    const before = { records: this.stats.incomingRecords, bytes: this.stats.incomingBytes };
    for (const { id, chunk } of chunks) {
      this.ledger.open(id, chunk.count);
      const base = id * CHUNK_SPAN;
      const prefix = recordIdPrefix(this.doc.id, arrivalMs);
      for (let i = 0; i < chunk.count; i++) ids.push(prefix + (base + i).toString(16).padStart(14, '0'));
      if (whole) work.push({ seq: base, arrivalMs, data: chunk.buffer.subarray(chunk.dataStart), whole: { chunk, count: chunk.count } });
      else chunkRecords(chunk).forEach((data, i) => work.push({ seq: base + i, arrivalMs, data }));
      this.stats.incomingRecords += chunk.count;
      this.stats.incomingBytes += chunk.buffer.byteLength - chunk.dataStart;
    }
    this.metrics.incoming(this.stats.incomingRecords - before.records, this.stats.incomingBytes - before.bytes);
    this.enqueue(work);
    return ids;
  }

  /** No processing, no partitions, plain objects: a chunk goes to its buffer whole. */
  private get wholeChunks(): boolean {
    const p = this.plan;
    return this.doc.type === 'DirectPut' && !p.deaggregation && !p.lambda && !p.metadataQuery && !p.appendDelimiter && !p.dynamicPartitioning && !p.backup && p.destination.kind === 'objects' && !p.destination.parquet;
  }

  /** Cuts every buffer (graceful shutdown, delete), then waits for processing and cuts to persist. */
  async flush(): Promise<void> {
    while (this.processing) await this.processing;
    this.buffers.flushAll();
    await this.cutChain;
  }

  /** Graceful stop: flush, give in-flight deliveries up to `graceMs`, leave the rest on disk. */
  async close(graceMs: number): Promise<void> {
    await this.flush();
    if (this.inFlight.size > 0 && graceMs > 0) await Promise.race([Promise.allSettled([...this.inFlight]), this.pause(graceMs)]);
    this.closed = true;
    for (const wake of [...this.wakers]) wake();
    await this.loader?.close();
  }

  /** A retry wait on the injected clock that close() cuts short. */
  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.wakers.delete(done);
        resolve();
      };
      this.wakers.add(done);
      void this.deps.sleep(ms).then(done);
    });
  }

  private limits() {
    return { bufferBytes: this.plan.bufferBytes, bufferIntervalMs: this.plan.bufferIntervalMs, maxActivePartitions: this.deps.config.maxActivePartitions };
  }

  private enqueue(records: RawRecord[]): void {
    if (records.length === 0) return;
    for (const r of records) {
      this.queue.push(r);
      this.queuedBytes += r.data.byteLength;
    }
    if (!this.processing) this.processing = this.processLoop().finally(() => (this.processing = null));
  }

  private async processLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const chunkBytes = this.plan.lambda ? this.plan.lambda.bufferBytes : 4 * 1024 * 1024;
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.data.byteLength <= chunkBytes)) bytes += this.queue[n++]!.data.byteLength;
      let chunk = this.queue.splice(0, n);
      this.queuedBytes -= bytes;
      if (this.wholeChunks && chunk.every((r) => r.whole)) {
        for (const r of chunk) this.addToBuffer({ kind: 'data', partition: '', keys: NO_KEYS, rawSeq: r.seq, arrivalMs: r.arrivalMs, data: r.data, count: r.whole!.count });
        this.buffers.flushIfImmediate();
        continue;
      }
      // Whole chunks queued before an UpdateDestination added processing are opened up here.
      chunk = chunk.flatMap((r) => (r.whole ? chunkRecords(r.whole.chunk).map((data, i) => ({ seq: r.seq + i, arrivalMs: r.arrivalMs, data })) : [r]));
      const items = await processRecords(chunk, {
        plan: this.plan,
        deliveryStreamArn: this.doc.arn,
        fromStream: this.doc.type === 'KinesisStreamAsSource',
        deps: { clock: this.deps.clock, sleep: this.deps.sleep, newId: this.deps.newId },
      });
      const produced = new Set<number>();
      for (const item of items) {
        this.ledger.produced(item.rawSeq);
        produced.add(item.rawSeq);
      }
      for (const item of items) this.addToBuffer(item);
      const dropped = chunk.filter((r) => !produced.has(r.seq)).map((r) => r.seq);
      if (dropped.length > 0) {
        // Through the cut chain, so chunk markers are written in the order they were computed.
        const update = this.ledger.drop(dropped);
        this.cutChain = this.cutChain.then(() => this.deps.store.updateChunks(this.doc.id, update).catch((err: Error) => this.noteError('FIREHOSE_STORAGE', err.message)));
      }
      this.buffers.flushIfImmediate();
    }
  }

  private addToBuffer(item: RoutedItem): void {
    if (this.buffers.add(item)) return;
    const failed = partitioningFailed(item, { plan: this.plan, deliveryStreamArn: this.doc.arn, fromStream: false, deps: { clock: this.deps.clock, sleep: this.deps.sleep, newId: this.deps.newId } }, 'DynamicPartitioning.ActivePartitionsLimitExceeded', `More than ${this.deps.config.maxActivePartitions} active partitions`);
    this.buffers.add(failed);
  }

  private onCut(buf: OpenBuffer): void {
    const seq = this.nextBatchSeq++;
    const now = this.deps.clock.now();
    const id = batchId(this.doc.id, seq);
    const batch: BatchDoc = {
      seq,
      id,
      kind: buf.kind,
      prefix: this.prefixFor(buf, now),
      ...(buf.errorOutputType ? { errorOutputType: buf.errorOutputType } : {}),
      oldestArrivalMs: buf.oldestArrivalMs,
      createdMs: now,
      records: buf.records,
      bytes: buf.bytes,
      version: this.doc.version,
    };
    // A buffer of whole chunks becomes a batch that owns them: no copy, no batch file.
    const whole = buf.kind === 'data' && buf.rawSeqs.length > 0 && buf.wholeSeqs.size === buf.rawSeqs.length;
    if (whole) {
      batch.chunks = buf.rawSeqs.map(chunkOf);
      this.ledger.take(batch.chunks);
    }
    const consumed = whole ? { deleted: [], consumed: new Map<number, number[]>() } : this.ledger.cut(buf.rawSeqs, buf.wholeSeqs);
    if (buf.kind === 'error') this.stats.errorRecords += buf.records;
    this.cuttingBytes += buf.bytes;
    this.outstanding.add(batch);
    this.cutChain = this.cutChain.then(async () => {
      try {
        await this.deps.store.cutBatch(this.doc.id, batch, buf.items, consumed);
      } catch (err) {
        // The raw records are still stored, so a restart will process them again.
        this.outstanding.delete(batch);
        this.noteError('FIREHOSE_STORAGE', (err as Error).message);
        return;
      } finally {
        this.cuttingBytes -= buf.bytes;
      }
      if (this.cachedBytes + batch.bytes <= CACHE_BYTES) {
        this.cached.set(batch.seq, buf.items);
        this.cachedBytes += batch.bytes;
      }
      this.ready.push(batch);
      this.pump();
    });
  }

  private prefixFor(buf: OpenBuffer, nowMs: number): string {
    const target = buf.kind === 'backup' ? this.plan.backup?.target : buf.kind === 'error' ? this.plan.errors : this.plan.destination.kind === 'objects' ? this.plan.destination.target : undefined;
    if (!target) return '';
    const randomString = () => Array.from({ length: 11 }, () => RANDOM_ALPHABET[Math.floor(this.deps.random() * RANDOM_ALPHABET.length)]).join('');
    const ctx = { arrivalMs: buf.oldestArrivalMs || nowMs, queryKeys: buf.keys.query, lambdaKeys: buf.keys.lambda, randomString, errorOutputType: buf.errorOutputType };
    const rendered = buf.kind === 'error' ? renderPrefix(errorPrefixTemplate(target.prefix, target.errorPrefix), ctx, 'error') : renderPrefix(target.prefix, { ...ctx, errorOutputType: undefined }, 'data');
    if (rendered.ok) return rendered.prefix;
    // The pipeline checked the keys already; only a backup prefix with partition expressions lands here.
    const fallback = renderPrefix(undefined, ctx, 'data');
    return fallback.ok ? fallback.prefix : '';
  }

  private pump(): void {
    while (!this.closed && this.delivering < this.deps.config.deliveryConcurrency && this.ready.length > 0) {
      const batch = this.ready.shift()!;
      this.delivering++;
      const p = this.deliverWithRetry(batch).finally(() => {
        this.delivering--;
        this.inFlight.delete(p);
        this.outstanding.delete(batch);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async deliverWithRetry(batch: BatchDoc): Promise<void> {
    let records: Buffer[];
    try {
      records = this.cached.get(batch.seq) ?? (await this.deps.store.readBatch(this.doc.id, batch));
      if (this.cached.delete(batch.seq)) this.cachedBytes -= batch.bytes;
    } catch (err) {
      this.noteError('FIREHOSE_STORAGE', (err as Error).message);
      return;
    }
    const started = this.deps.clock.monotonicMs();
    let failing = false;
    const settle = () => {
      if (failing) this.stats.failingBatches--;
      failing = false;
    };
    for (let attempt = 0; !this.closed; attempt++) {
      const verdict = await deliverBatch(batch, records, {
        streamName: this.doc.name,
        plan: this.plan,
        clock: this.deps.clock,
        sleep: (ms) => this.pause(ms),
        random: this.deps.random,
        postgres: () => (this.loader ??= this.deps.postgresLoader((this.plan.destination as Extract<DeliveryPlan['destination'], { kind: 'postgres' }>).target)),
      });
      if (verdict.kind === 'delivered') {
        settle();
        this.metrics.delivered(destinationLabel(batch, this.plan), batch.records, batch.bytes);
        return this.finish(batch, records, verdict);
      }
      this.metrics.failed(destinationLabel(batch, this.plan));
      this.stats.failedAttempts++;
      if (!failing) this.stats.failingBatches++;
      failing = true;
      this.noteError(verdict.errorCode, verdict.errorMessage);
      const dest = this.plan.destination;
      const windowOver = dest.kind === 'postgres' && batch.kind === 'data' && this.deps.clock.monotonicMs() - started >= dest.retryDurationMs;
      if (verdict.kind === 'failed' || windowOver) {
        const failed: Extract<DeliveryVerdict, { kind: 'failed' }> = verdict.kind === 'failed' ? verdict : { kind: 'failed', errorOutputType: 'redshift-failed', errorCode: verdict.errorCode, errorMessage: verdict.errorMessage, attempts: attempt + 1 };
        settle();
        return this.toErrorOutput(batch, records, failed);
      }
      const cap = Math.min(this.deps.config.maxRetryDelayMs, 100 * 2 ** Math.min(attempt, 20));
      await this.pause(Math.floor(this.deps.random() * cap) + 10);
    }
    settle();
  }

  private async finish(batch: BatchDoc, records: Buffer[], verdict: Extract<DeliveryVerdict, { kind: 'delivered' }>): Promise<void> {
    if (verdict.sideErrors) await this.cutExtra('error', verdict.sideErrors.errorOutputType, verdict.sideErrors.lines, batch.oldestArrivalMs);
    await this.deps.store.completeBatch(this.doc.id, batch);
    if (batch.kind === 'data') {
      this.stats.deliveredRecords += batch.records;
      this.stats.deliveredBytes += batch.bytes;
    }
    this.stats.deliveredBatches++;
    this.stats.lastDeliveryMs = this.deps.clock.now();
    this.deps.logger.debug({ stream: this.doc.name, batch: batch.id, kind: batch.kind, records: records.length, target: verdict.target }, 'firehose batch delivered');
  }

  /** A batch that failed for good: its records go to the error output, then it is done. */
  private async toErrorOutput(batch: BatchDoc, records: Buffer[], failed: Extract<DeliveryVerdict, { kind: 'failed' }>): Promise<void> {
    this.deps.logger.warn({ stream: this.doc.name, batch: batch.id, code: failed.errorCode }, 'firehose delivery failed; records go to the error output');
    await this.cutExtra('error', failed.errorOutputType, failedDeliveryLines(records, batch, failed, this.deps.clock.now()), batch.oldestArrivalMs);
    this.stats.errorRecords += records.length;
    await this.deps.store.completeBatch(this.doc.id, batch);
  }

  private async cutExtra(kind: 'error', errorOutputType: string, lines: Buffer[], oldestArrivalMs: number): Promise<void> {
    const buf: OpenBuffer = { kind, partition: `error:${errorOutputType}:extra`, keys: { query: {}, lambda: {} }, errorOutputType, items: lines, rawSeqs: [], wholeSeqs: new Set(), records: lines.length, bytes: lines.reduce((n, l) => n + l.byteLength, 0), oldestArrivalMs, timer: null };
    this.onCut(buf);
    await this.cutChain;
  }

  private noteError(code: string, message: string): void {
    this.stats.lastError = { atMs: this.deps.clock.now(), code, message };
    this.deps.logger.warn({ stream: this.doc.name, code, err: message }, 'firehose delivery attempt failed');
  }
}

/** Firehose record ids are opaque strings; ours name the stream incarnation, time and position. */
function recordIdPrefix(streamId: string, arrivalMs: number): string {
  return `${streamId.slice(0, 16)}${arrivalMs.toString(16).padStart(12, '0')}`;
}

/** Stable per batch: the same (stream incarnation, batch seq) always gives the same id. */
export function batchId(streamId: string, seq: number): string {
  const h = createHash('sha256').update(`${streamId}:${seq}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
