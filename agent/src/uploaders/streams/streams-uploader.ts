/**
 * The Data Streams uploader: takes a stream's oldest buffered records, sends them as one
 * PutRecords (at most 500 records and 5 MiB, as Kinesis allows) and acknowledges what the server
 * stored. It returns a Verdict; the RetryScheduler owns every wait.
 *
 * Exactly once: each batch gets a producer sequence number, persisted with the batch's record
 * positions *before* it is sent. A retry, even after a crash, resends the same records with the
 * same number, and the server's idempotent-producer window answers it without storing twice.
 * Pipelining: while a batch is on the wire, the next one is read from the buffer, and its
 * in-flight record is written in the same synced write as this batch's ack: one disk sync per
 * batch, and the next batch leaves as soon as the ack is durable.
 * Order per key: batches are sent as all-or-nothing (x-rivulet-atomic-batch), so a throttled
 * batch is retried whole. Against real AWS both headers are ignored: delivery is then
 * at-least-once and a partially failed batch resends only its failed records, as Kinesis does.
 */
import { HEADERS, TARGET_PREFIX, AMZ_JSON_1_1, signRequest, type Clock, type SigV4Credentials, type SigningKeyCache } from '@rivulet/shared';
import type { BufferedRecord, DurableBuffer } from '../../pipeline/types.js';
import type { BandwidthLimiter } from '../bandwidth.js';
import { verdictFromHttp, verdictFromNetworkError } from '../http-verdict.js';
import type { Verdict } from '../scheduler.js';
import type { HttpTransport } from './http-transport.js';

export interface StreamsUploaderOptions {
  endpoint: string;
  region: string;
  /** null sends unsigned requests (a Rivulet server bound to loopback with auth off). */
  credentials: SigV4Credentials | null;
  deviceId: string;
  idempotentProducer: boolean;
  maxBatchRecords: number;
  maxBatchBytes: number;
  requestTimeoutMs?: number;
}

export interface StreamsUploaderDeps {
  buffer: DurableBuffer;
  clock: Clock;
  send: HttpTransport;
  bandwidth: BandwidthLimiter | null;
  keyCache?: SigningKeyCache;
}

/** One durable record per stream: the next producer sequence and the batch in flight, if any. */
interface UploadState {
  nextSeq: number;
  inflight: { producerSeq: number; seqs: number[] } | null;
}

interface PutRecordsResponse {
  FailedRecordCount?: number;
  Records?: ({ SequenceNumber?: string; ErrorCode?: string } | undefined)[];
}

export interface UploadStats {
  batches: number;
  records: number;
  bytes: number;
  lastError: string | null;
}

const stateKey = (stream: string) => `upload/state/${stream}`;

interface Batch {
  producerSeq: number;
  records: BufferedRecord[];
}

export class StreamsUploader {
  private readonly counters: UploadStats = { batches: 0, records: 0, bytes: 0, lastError: null };
  /** Per stream, the next batch, already recorded as in flight (written with the previous ack). */
  private readonly ready = new Map<string, Batch>();

  constructor(
    private readonly opts: StreamsUploaderOptions,
    private readonly deps: StreamsUploaderDeps,
  ) {}

  stats(): UploadStats {
    return { ...this.counters };
  }

  /** Sends the stream's next batch (or the one a crash left in flight); ok when nothing is left to send. */
  async attempt(stream: string): Promise<Verdict> {
    const batch = this.ready.get(stream) ?? (await this.nextBatch(stream));
    this.ready.delete(stream);
    if (!batch) return { kind: 'ok' };
    const body = Buffer.from(
      JSON.stringify({ StreamName: stream, Records: batch.records.map((r) => ({ Data: r.data.toString('base64'), PartitionKey: r.partitionKey })) }),
    );
    if (this.deps.bandwidth && !(await this.deps.bandwidth.take(body.byteLength))) return { kind: 'error', reason: 'stopped' };
    // Read the next batch while this one is on the wire.
    const following = this.deps.buffer.peek(stream, this.opts.maxBatchRecords, this.opts.maxBatchBytes, batch.records.at(-1)!.seq);
    following.catch(() => undefined);
    let response;
    try {
      response = await this.deps.send({ url: this.opts.endpoint, method: 'POST', headers: this.headers(stream, batch, body), body, timeoutMs: this.opts.requestTimeoutMs ?? 30_000 });
    } catch (err) {
      this.counters.lastError = err instanceof Error ? err.message : String(err);
      return verdictFromNetworkError(err);
    }
    if (response.status < 200 || response.status >= 300) {
      const type = awsErrorType(response.headers, response.body);
      this.counters.lastError = `${response.status} ${type ?? ''}`.trim();
      return verdictFromHttp(response.status, response.headers, type, this.deps.clock.now());
    }
    return this.settle(stream, batch, JSON.parse(response.body.toString('utf8')) as PutRecordsResponse, body.byteLength, following);
  }

  private async state(stream: string): Promise<UploadState> {
    const saved = await this.deps.buffer.getMeta(stateKey(stream));
    return saved ? (JSON.parse(saved) as UploadState) : { nextSeq: 0, inflight: null };
  }

  private async nextBatch(stream: string): Promise<Batch | null> {
    const { buffer } = this.deps;
    const state = await this.state(stream);
    if (state.inflight) {
      const wanted = new Set(state.inflight.seqs);
      const records = (await buffer.peek(stream, state.inflight.seqs.length, Number.MAX_SAFE_INTEGER)).filter((r) => wanted.has(r.seq));
      if (records.length > 0) return { producerSeq: state.inflight.producerSeq, records };
    }
    const records = await buffer.peek(stream, this.opts.maxBatchRecords, this.opts.maxBatchBytes);
    if (records.length === 0) return null;
    const producerSeq = state.nextSeq;
    // The batch is fixed, in one durable write, before it leaves: a retry after a crash resends exactly this.
    await buffer.putMeta(stateKey(stream), JSON.stringify({ nextSeq: producerSeq + 1, inflight: { producerSeq, seqs: records.map((r) => r.seq) } } satisfies UploadState));
    return { producerSeq, records };
  }

  private headers(stream: string, batch: { producerSeq: number }, body: Buffer): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': AMZ_JSON_1_1, [HEADERS.target]: `${TARGET_PREFIX.streams}.PutRecords` };
    if (this.opts.idempotentProducer) {
      headers[HEADERS.producerId] = `${this.opts.deviceId}.${stream}`.slice(0, 128);
      headers[HEADERS.producerSequence] = String(batch.producerSeq);
      headers[HEADERS.atomicBatch] = 'true';
    }
    if (!this.opts.credentials) return headers;
    return signRequest({ method: 'POST', url: this.opts.endpoint, headers, body }, this.opts.credentials, {
      region: this.opts.region,
      service: 'kinesis',
      nowMs: this.deps.clock.now(),
      ...(this.deps.keyCache ? { keyCache: this.deps.keyCache } : {}),
    });
  }

  /** Acknowledges what was stored; a partial failure (real AWS) leaves the failed records for the next batch. */
  private async settle(stream: string, batch: Batch, response: PutRecordsResponse, bytes: number, following: Promise<BufferedRecord[]>): Promise<Verdict> {
    const results = response.Records ?? [];
    const stored = batch.records.filter((_, i) => results[i]?.SequenceNumber !== undefined).map((r) => r.seq);
    const failed = batch.records.length - stored.length;
    // All stored: the next batch becomes the one in flight, in the same write as this ack.
    // Otherwise (or with nothing more to send) the in-flight record stays as it is, which is
    // harmless: its acknowledged records are gone, so a later nextBatch finds none of them and
    // starts a fresh batch with the next sequence.
    const next = failed === 0 ? await following.catch(() => []) : [];
    const nextBatch: Batch | null = next.length > 0 ? { producerSeq: batch.producerSeq + 1, records: next } : null;
    const meta = nextBatch
      ? { [stateKey(stream)]: JSON.stringify({ nextSeq: nextBatch.producerSeq + 1, inflight: { producerSeq: nextBatch.producerSeq, seqs: next.map((r) => r.seq) } } satisfies UploadState) }
      : {};
    await this.deps.buffer.ack(stream, stored, { meta });
    if (nextBatch) this.ready.set(stream, nextBatch);
    this.counters.batches++;
    this.counters.records += stored.length;
    this.counters.bytes += bytes;
    if (failed === 0) return { kind: 'ok' };
    // A partial failure (real AWS): the refused records go out again as a new batch, new sequence.
    const state = await this.state(stream);
    await this.deps.buffer.putMeta(stateKey(stream), JSON.stringify({ nextSeq: state.nextSeq, inflight: null } satisfies UploadState));
    this.counters.lastError = `${failed} of ${batch.records.length} records refused (${results.find((r) => r?.ErrorCode)?.ErrorCode ?? 'unknown'})`;
    return { kind: 'retry', reason: this.counters.lastError };
  }
}

function awsErrorType(headers: Record<string, string | undefined>, body: Buffer): string | undefined {
  const header = headers['x-amzn-errortype']?.split(':')[0];
  if (header) return header;
  try {
    const type = (JSON.parse(body.toString('utf8')) as { __type?: string }).__type;
    return type?.split('#').pop();
  } catch {
    return undefined;
  }
}
