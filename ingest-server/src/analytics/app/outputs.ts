/**
 * Application outputs: where the rows of an in-application stream go, once encoded as JSON or
 * CSV records. A Rivulet data stream and a Firehose delivery stream are written in-process; a
 * Lambda output is invoked with the KDA Lambda output contract (a configured module or URL).
 *
 * Owns: one `send` per batch that resolves with the records not accepted (retried alone) and
 * throws when the batch failed as a whole (retried whole); the runner retries with backoff and
 * commits nothing until every record is accepted: at-least-once.
 * Does not own: encoding (record-format.ts), retries, or which rows are sent (the runner).
 */
import { randomUUID } from 'node:crypto';
import { RivuletError, type Clock } from '@rivulet/shared';
import { chunkFromRecords, invokeFunction, resolveFunction, type FirehoseService } from '../../firehose/index.js';
import type { StreamsService } from '../../streams/index.js';
import { streamNameOfArn } from './source.js';

export interface OutputSink {
  /** For DescribeApplication and logs: the destination ARN. */
  readonly description: string;
  /**
   * Sends records; resolves with those the destination refused (a throttled shard, say), which
   * the caller sends again later, alone. Throws when nothing can be said to have arrived.
   */
  send(records: readonly Buffer[]): Promise<readonly Buffer[]>;
}

export interface OutputTarget {
  readonly KinesisStreamsOutput?: { ResourceARN: string } | undefined;
  readonly KinesisFirehoseOutput?: { ResourceARN: string } | undefined;
  readonly LambdaOutput?: { ResourceARN: string } | undefined;
}

export interface OutputDeps {
  readonly streams: StreamsService;
  readonly firehose: FirehoseService;
  readonly functions: Record<string, { module?: string; url?: string }>;
  readonly clock: Clock;
  readonly applicationArn: string;
}

/** Kinesis: PutRecords takes at most 500 records; Firehose: PutRecordBatch too. */
const BATCH = 500;
/** KDA: a Lambda output invocation carries at most 500 records (and 6 MB). */
const LAMBDA_TIMEOUT_MS = 60_000;

function failed(message: string): RivuletError {
  return new RivuletError('ANALYTICS_INVALID_CONFIGURATION', { message });
}

class StreamSink implements OutputSink {
  private batches = 0;
  constructor(readonly description: string, private readonly name: string, private readonly deps: OutputDeps) {}

  async send(records: readonly Buffer[]): Promise<readonly Buffer[]> {
    const stream = this.deps.streams.registry.require({ StreamName: this.name });
    const refused: Buffer[] = [];
    for (let i = 0; i < records.length; i += BATCH) {
      // Batches go round the open shards, each whole to one shard through an explicit hash key
      // (its shard's first key): the output spreads over every shard, as KDA's does, without
      // hashing a partition key per record.
      const open = stream.openShards;
      const shard = open[this.batches++ % Math.max(1, open.length)];
      const explicitHashKey = shard ? String(shard.startHash) : undefined;
      const partitionKey = `kda-${this.batches}`;
      const batch = records.slice(i, i + BATCH);
      const entries = batch.map((data) => ({ dataBase64: data.toString('base64'), dataBytes: data.length, partitionKey, explicitHashKey }));
      const results = await this.deps.streams.records.put(stream, entries);
      results.forEach((r, k) => {
        if ('ErrorCode' in r) refused.push(batch[k]!);
      });
    }
    return refused;
  }
}

class FirehoseSink implements OutputSink {
  constructor(readonly description: string, private readonly name: string, private readonly deps: OutputDeps) {}

  async send(records: readonly Buffer[]): Promise<readonly Buffer[]> {
    // A batch is persisted whole or refused whole; a refused one throws, and it and those after it are retried.
    for (let i = 0; i < records.length; i += BATCH) {
      try {
        await this.deps.firehose.put(this.name, chunkFromRecords(records.slice(i, i + BATCH)));
      } catch (err) {
        if (i === 0) throw err;
        return records.slice(i);
      }
    }
    return [];
  }
}

class LambdaSink implements OutputSink {
  /** KDA: retryHint "increases for every delivery failure" of the records it carries. */
  private failures = 0;

  constructor(readonly description: string, private readonly deps: OutputDeps) {}

  async send(records: readonly Buffer[]): Promise<readonly Buffer[]> {
    try {
      await this.sendAll(records);
      this.failures = 0;
      return [];
    } catch (err) {
      this.failures++;
      throw err;
    }
  }

  private async sendAll(records: readonly Buffer[]): Promise<void> {
    const target = resolveFunction(this.description, this.deps.functions);
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH);
      const ids = batch.map(() => randomUUID());
      // KDA developer guide, "Using a Lambda Function as Output": the event and the response.
      const event = {
        invocationId: randomUUID(),
        applicationArn: this.deps.applicationArn,
        records: batch.map((data, k) => ({ recordId: ids[k]!, lambdaDeliveryRecordMetadata: { retryHint: this.failures }, data: data.toString('base64') })),
      };
      const invoked = await invokeFunction(target, event, { functionArn: this.description, timeoutMs: LAMBDA_TIMEOUT_MS }, this.deps);
      if (!invoked.ok) throw failed(`Lambda output ${this.description}: ${invoked.failure.errorCode}: ${invoked.failure.errorMessage}`);
      const answer = (invoked.body as { records?: { recordId?: unknown; result?: unknown }[] } | null)?.records;
      if (!Array.isArray(answer)) throw failed(`Lambda output ${this.description} answered without a records array`);
      const ok = new Set(answer.filter((r) => r.result === 'Ok').map((r) => r.recordId));
      const missing = ids.filter((id) => !ok.has(id));
      // Records the function did not accept are retried with the whole batch (at-least-once).
      if (missing.length > 0) throw failed(`Lambda output ${this.description} did not accept ${missing.length} of ${ids.length} records`);
    }
  }
}

/** Builds the sink of one output configuration; unknown or malformed destinations are refused. */
export function outputSink(output: OutputTarget, deps: OutputDeps): OutputSink {
  if (output.KinesisStreamsOutput) {
    const arn = output.KinesisStreamsOutput.ResourceARN;
    return new StreamSink(arn, streamNameOfArn(arn, 'kinesis'), deps);
  }
  if (output.KinesisFirehoseOutput) {
    const arn = output.KinesisFirehoseOutput.ResourceARN;
    return new FirehoseSink(arn, streamNameOfArn(arn, 'firehose'), deps);
  }
  if (output.LambdaOutput) {
    const arn = output.LambdaOutput.ResourceARN;
    // Resolve now so that a function the server does not know is refused at configuration time.
    resolveFunction(arn, deps.functions);
    return new LambdaSink(arn, deps);
  }
  throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: 'An output needs one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput' });
}
