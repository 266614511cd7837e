/**
 * deliverBatch(): one delivery of one cut batch to where it goes: the destination (objects, an
 * HTTP endpoint, PostgreSQL), the error output, or the backup bucket. It returns a verdict and
 * never retries object or Postgres writes itself: the DeliveryStream's scheduler owns backoff.
 * The HTTP endpoint client runs its own retry window, as the Firehose spec defines it.
 */
import { RivuletError, type Clock } from '@rivulet/shared';
import { compressParts, compressionContentType } from './encode/compression.js';
import { convertToParquet } from './encode/parquet.js';
import { deliverToHttpEndpoint } from './destinations/http-endpoint.js';
import type { PostgresLoader } from './destinations/postgres.js';
import type { BatchDoc } from './model.js';
import { envelopeLine } from './pipeline.js';
import type { DeliveryPlan, ObjectTarget } from './plan.js';
import { objectName } from './processing/prefix.js';

export type DeliveryVerdict =
  | { kind: 'delivered'; target: string; sideErrors: { errorOutputType: string; lines: Buffer[] } | null }
  | { kind: 'retry'; errorCode: string; errorMessage: string }
  | { kind: 'failed'; errorOutputType: string; errorCode: string; errorMessage: string; attempts: number };

export interface DeliveryContext {
  streamName: string;
  plan: DeliveryPlan;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  random(): number;
  postgres(): PostgresLoader;
}

function targetFor(batch: BatchDoc, plan: DeliveryPlan): ObjectTarget | null {
  if (batch.kind === 'error') return plan.errors;
  if (batch.kind === 'backup') return plan.backup?.target ?? plan.errors;
  return plan.destination.kind === 'objects' ? plan.destination.target : null;
}

async function putObject(target: ObjectTarget, batch: BatchDoc, streamName: string, body: readonly Buffer[], extension: string): Promise<string> {
  const name = objectName(batch.prefix, streamName, batch.version, batch.createdMs, batch.id);
  const compressed = await compressParts(target.compression, body, name.slice(name.lastIndexOf('/') + 1));
  const key = name + extension;
  await target.sink.put(key, compressed, compressionContentType(target.compression));
  return `${target.bucket}/${key}`;
}

export async function deliverBatch(batch: BatchDoc, records: Buffer[], ctx: DeliveryContext): Promise<DeliveryVerdict> {
  const { plan } = ctx;
  const objects = targetFor(batch, plan);
  try {
    if (objects && batch.kind !== 'data') return { kind: 'delivered', target: await putObject(objects, batch, ctx.streamName, records, objects.compression === 'UNCOMPRESSED' ? '' : objects.extension), sideErrors: null };
    const dest = plan.destination;
    if (dest.kind === 'objects') {
      if (!dest.parquet) return { kind: 'delivered', target: await putObject(dest.target, batch, ctx.streamName, records, dest.target.extension), sideErrors: null };
      const converted = convertToParquet(records, dest.parquet.columns, { compression: dest.parquet.compression });
      const sideErrors = converted.failed.length
        ? {
            errorOutputType: 'format-conversion-failed',
            lines: converted.failed.map((f) => envelopeLine({ errorOutputType: 'format-conversion-failed', attemptsMade: 1, arrivalMs: batch.oldestArrivalMs, errorCode: 'DataFormatConversion.MalformedData', errorMessage: f.message, attemptEndingMs: ctx.clock.now(), rawData: records[f.index] ?? Buffer.alloc(0) })),
          }
        : null;
      if (!converted.body) return { kind: 'delivered', target: 'nothing (every record failed conversion)', sideErrors };
      // Parquet compresses inside the file; the object itself is never wrapped again.
      const name = objectName(batch.prefix, ctx.streamName, batch.version, batch.createdMs, batch.id) + dest.target.extension;
      await dest.target.sink.put(name, converted.body, { contentType: 'application/octet-stream' });
      return { kind: 'delivered', target: `${dest.target.bucket}/${name}`, sideErrors };
    }
    if (dest.kind === 'http') {
      const result = await deliverToHttpEndpoint(dest.target, { requestId: batch.id, records, timestampMs: ctx.clock.now() }, ctx);
      if (result.ok) return { kind: 'delivered', target: dest.target.url, sideErrors: null };
      return { kind: 'failed', errorOutputType: 'http-endpoint-failed', errorCode: result.errorCode, errorMessage: result.errorMessage, attempts: result.attempts };
    }
    const loaded = await ctx.postgres().load(records, batch.id);
    return { kind: 'delivered', target: `postgres ${dest.target.table}${loaded.skipped ? ' (already loaded)' : ''}`, sideErrors: null };
  } catch (err) {
    const code = err instanceof RivuletError ? err.code : 'FIREHOSE_DELIVERY';
    return { kind: 'retry', errorCode: code, errorMessage: (err as Error).message };
  }
}

/** The envelope lines for records whose delivery failed for good (HTTP endpoint, PostgreSQL). */
export function failedDeliveryLines(records: Buffer[], batch: BatchDoc, verdict: Extract<DeliveryVerdict, { kind: 'failed' }>, nowMs: number): Buffer[] {
  return records.map((rawData) =>
    envelopeLine({ errorOutputType: verdict.errorOutputType, attemptsMade: verdict.attempts, arrivalMs: batch.oldestArrivalMs, errorCode: verdict.errorCode, errorMessage: verdict.errorMessage, attemptEndingMs: nowMs, rawData }),
  );
}
