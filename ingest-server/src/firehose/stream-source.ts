/**
 * StreamSource: KinesisStreamAsSource. Reads every shard of a Rivulet data stream in-process and
 * hands the records to its DeliveryStream together with a checkpoint, which the FirehoseStore
 * writes in the same LevelDB batch as the records: a restart resumes right after the last
 * accepted record, skipping nothing and taking nothing twice.
 *
 * Shards with no checkpoint start at the delivery stream's creation time (LATEST, as Firehose
 * does). A child shard is read only after its parents are finished (read to their end), so
 * per-key order holds across a reshard. A finished shard is checkpointed as CLOSED.
 */
import { RivuletError, shardIdFor, type Clock, type TimerHandle } from '@rivulet/shared';
import type { StreamsService } from '../streams/index.js';
import { chunkFromRecords, type Chunk } from './chunk.js';
import type { DeliveryStream } from './delivery-stream.js';
import { CHUNK_SPAN } from './store.js';

const CLOSED = 'CLOSED';
const MAX_RECORDS_PER_READ = 10_000;

export interface StreamSourceDeps {
  streams: StreamsService;
  clock: Clock;
  pollIntervalMs: number;
  maxPendingBytes: number;
  checkpoints: Map<string, string>;
}

interface GetRecordsBody {
  Records: { Data: string; SequenceNumber: string }[];
  NextShardIterator?: string | null;
}

export class StreamSource {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private readonly iterators = new Map<string, string>();
  private stopped = false;
  lastError: string | null = null;

  constructor(
    private readonly target: DeliveryStream,
    private readonly deps: StreamSourceDeps,
  ) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.running = this.pollOnce()
        .catch((err: unknown) => {
          this.lastError = (err as Error).message;
        })
        .then((more) => this.schedule(more === true ? 0 : this.deps.pollIntervalMs));
    }, delayMs);
  }

  /** One pass over the readable shards; true when a shard had more to read right away. */
  async pollOnce(): Promise<boolean> {
    const source = this.target.doc.source;
    if (!source) return false;
    const stream = this.deps.streams.registry.require({ StreamName: source.streamName });
    let more = false;
    for (const shard of [...stream.shards.values()].sort((a, b) => a.doc.index - b.doc.index)) {
      if (this.stopped || this.target.pendingBytes > this.deps.maxPendingBytes) return false;
      const shardId = shardIdFor(shard.doc.index);
      if (this.deps.checkpoints.get(shardId) === CLOSED) continue;
      const parents = [shard.doc.parentIndex, shard.doc.adjacentParentIndex].filter((p): p is number => p !== null && stream.shards.has(p));
      if (parents.some((p) => this.deps.checkpoints.get(shardIdFor(p)) !== CLOSED)) continue;
      try {
        more = (await this.readShard(stream, shardId, source.startMs)) || more;
      } catch (err) {
        this.iterators.delete(shardId);
        if (err instanceof RivuletError && err.code === 'STREAMS_THROUGHPUT') continue;
        throw err;
      }
    }
    this.lastError = null;
    return more;
  }

  private async readShard(stream: Parameters<StreamsService['records']['shardIterator']>[0], shardId: string, startMs: number): Promise<boolean> {
    const records = this.deps.streams.records;
    let iterator = this.iterators.get(shardId);
    if (!iterator) {
      const checkpoint = this.deps.checkpoints.get(shardId);
      iterator = checkpoint
        ? await records.shardIterator(stream, shardId, 'AFTER_SEQUENCE_NUMBER', checkpoint)
        : await records.shardIterator(stream, shardId, 'AT_TIMESTAMP', undefined, Math.min(startMs, this.deps.clock.now()));
    }
    const body = JSON.parse(Buffer.concat((await records.get(iterator, MAX_RECORDS_PER_READ)).finish()).toString('utf8')) as GetRecordsBody;
    const next = body.NextShardIterator ?? null;
    if (body.Records.length > 0) {
      const last = body.Records[body.Records.length - 1]!.SequenceNumber;
      const datas = body.Records.map((r) => Buffer.from(r.Data, 'base64'));
      const chunks: Chunk[] = [];
      for (let i = 0; i < datas.length; i += CHUNK_SPAN) chunks.push(chunkFromRecords(datas.slice(i, i + CHUNK_SPAN)));
      await this.target.ingest(chunks, { shardId, sequenceNumber: next ? last : CLOSED });
      this.deps.checkpoints.set(shardId, next ? last : CLOSED);
    } else if (!next) {
      await this.target.ingest([], { shardId, sequenceNumber: CLOSED });
      this.deps.checkpoints.set(shardId, CLOSED);
    }
    if (next) this.iterators.set(shardId, next);
    else this.iterators.delete(shardId);
    return body.Records.length >= MAX_RECORDS_PER_READ;
  }
}
