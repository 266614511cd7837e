/**
 * The record pipeline, in Firehose's documented order: (KPL de-aggregation for a stream source)
 * -> RecordDeAggregation -> Lambda transformation -> MetadataExtraction (jq keys) ->
 * AppendDelimiterToRecord -> routing to a partition. It turns raw records into routed items and
 * owns none of the buffering or storage: delivery-stream.ts feeds it and buffers what it returns.
 *
 * A raw record yields zero or more items; every item remembers its raw record's seq, so the raw
 * record is deleted only once everything it produced has been cut into batches.
 */
import { deaggregateKpl, splitSubRecords } from './encode/deaggregate.js';
import type { DeliveryPlan } from './plan.js';
import { failedRecordLine } from './processing/failed-envelope.js';
import { extractPartitionKeys } from './processing/partitioning.js';
import { renderPrefix } from './processing/prefix.js';
import { transformBatch, type TransformDeps } from './processing/transform.js';
import type { RawRecord } from './store.js';

export interface PartitionKeys {
  query: Record<string, string>;
  lambda: Record<string, string>;
}

export type RoutedItem =
  | { kind: 'data'; partition: string; keys: PartitionKeys; rawSeq: number; arrivalMs: number; data: Buffer; /** records in `data` (a whole chunk) */ count?: number }
  | { kind: 'error'; partition: string; errorOutputType: string; rawSeq: number; arrivalMs: number; data: Buffer }
  | { kind: 'backup'; partition: string; rawSeq: number; arrivalMs: number; data: Buffer };

export interface PipelineContext {
  plan: DeliveryPlan;
  deliveryStreamArn: string;
  /** KinesisStreamAsSource: KPL aggregated records are de-aggregated first, as Firehose does. */
  fromStream: boolean;
  deps: TransformDeps;
}

interface Piece {
  rawSeq: number;
  arrivalMs: number;
  data: Buffer;
  lambdaKeys: Record<string, string>;
}

const EMPTY: Record<string, string> = {};

function errorItem(type: string, rawSeq: number, arrivalMs: number, line: Buffer): RoutedItem {
  return { kind: 'error', partition: `error:${type}`, errorOutputType: type, rawSeq, arrivalMs, data: line };
}

/** Processes one chunk of raw records (the caller sizes chunks by the Lambda buffer). */
export async function processRecords(records: readonly RawRecord[], ctx: PipelineContext): Promise<RoutedItem[]> {
  const { plan } = ctx;
  const out: RoutedItem[] = [];
  let pieces: Piece[] = [];
  for (const r of records) {
    if (plan.backup) out.push({ kind: 'backup', partition: 'backup', rawSeq: r.seq, arrivalMs: r.arrivalMs, data: r.data });
    const parts = ctx.fromStream ? deaggregateKpl(r.data) : [r.data];
    for (const data of parts) {
      if (!plan.deaggregation) {
        pieces.push({ rawSeq: r.seq, arrivalMs: r.arrivalMs, data, lambdaKeys: EMPTY });
        continue;
      }
      try {
        for (const sub of splitSubRecords(data, plan.deaggregation.subRecordType, plan.deaggregation.delimiter)) pieces.push({ rawSeq: r.seq, arrivalMs: r.arrivalMs, data: sub, lambdaKeys: EMPTY });
      } catch (err) {
        out.push(errorItem('processing-failed', r.seq, r.arrivalMs, envelopeLine({ errorOutputType: 'processing-failed', attemptsMade: 1, arrivalMs: r.arrivalMs, errorCode: 'DeAggregation.Failed', errorMessage: (err as Error).message, attemptEndingMs: ctx.deps.clock.now(), rawData: data })));
      }
    }
  }
  if (plan.lambda) pieces = await transform(pieces, ctx, out);
  for (const p of pieces) route(p, ctx, out);
  return out;
}

async function transform(pieces: Piece[], ctx: PipelineContext, out: RoutedItem[]): Promise<Piece[]> {
  const lambda = ctx.plan.lambda!;
  const kept: Piece[] = [];
  for (let start = 0; start < pieces.length; ) {
    let bytes = 0;
    let end = start;
    while (end < pieces.length && (end === start || bytes + pieces[end]!.data.byteLength <= lambda.bufferBytes)) bytes += pieces[end++]!.data.byteLength;
    const chunk = pieces.slice(start, end);
    start = end;
    const input = chunk.map((p, i) => ({ recordId: String(i), approximateArrivalTimestamp: p.arrivalMs, data: p.data }));
    const { outcomes, attempts } = await transformBatch(
      input,
      { target: lambda.target, functionArn: lambda.functionArn, deliveryStreamArn: ctx.deliveryStreamArn, numberOfRetries: lambda.numberOfRetries, timeoutMs: 60_000 },
      ctx.deps,
    );
    outcomes.forEach((o, i) => {
      const p = chunk[i]!;
      if (o.result === 'Ok') kept.push({ ...p, data: o.data, lambdaKeys: o.partitionKeys });
      else if (o.result === 'ProcessingFailed') {
        out.push(errorItem('processing-failed', p.rawSeq, p.arrivalMs, envelopeLine({ errorOutputType: 'processing-failed', attemptsMade: attempts, arrivalMs: p.arrivalMs, errorCode: o.errorCode, errorMessage: o.errorMessage, attemptEndingMs: ctx.deps.clock.now(), rawData: p.data, lambdaArn: lambda.functionArn })));
      }
    });
  }
  return kept;
}

function route(p: Piece, ctx: PipelineContext, out: RoutedItem[]): void {
  const { plan } = ctx;
  let query = EMPTY;
  if (plan.metadataQuery) {
    const extracted = extractPartitionKeys(plan.metadataQuery, p.data);
    if (!extracted.ok) {
      out.push(partitioningFailed(p, ctx, extracted.errorCode, extracted.errorMessage));
      return;
    }
    query = extracted.keys;
  }
  const data = plan.appendDelimiter ? Buffer.concat([p.data, plan.appendDelimiter]) : p.data;
  if (!plan.dynamicPartitioning) {
    out.push({ kind: 'data', partition: '', keys: { query, lambda: p.lambdaKeys }, rawSeq: p.rawSeq, arrivalMs: p.arrivalMs, data });
    return;
  }
  // Check the keys render into a safe prefix now, so a bad record goes to the error output alone.
  const target = plan.destination.kind === 'objects' ? plan.destination.target : plan.errors;
  const check = renderPrefix(target.prefix, { arrivalMs: p.arrivalMs, queryKeys: query, lambdaKeys: p.lambdaKeys, randomString: () => 'x' }, 'data');
  if (!check.ok) {
    out.push(partitioningFailed(p, ctx, check.errorCode, check.errorMessage));
    return;
  }
  const partition = JSON.stringify([query, p.lambdaKeys]);
  out.push({ kind: 'data', partition, keys: { query, lambda: p.lambdaKeys }, rawSeq: p.rawSeq, arrivalMs: p.arrivalMs, data });
}

export function partitioningFailed(p: { rawSeq: number; arrivalMs: number; data: Buffer }, ctx: PipelineContext, errorCode: string, errorMessage: string): RoutedItem {
  return errorItem('partitioning-failed', p.rawSeq, p.arrivalMs, envelopeLine({ errorOutputType: 'partitioning-failed', attemptsMade: 1, arrivalMs: p.arrivalMs, errorCode, errorMessage, attemptEndingMs: ctx.deps.clock.now(), rawData: p.data }));
}

export interface EnvelopeFields {
  errorOutputType: string;
  attemptsMade: number;
  arrivalMs: number;
  errorCode: string;
  errorMessage: string;
  attemptEndingMs: number;
  rawData: Buffer;
  lambdaArn?: string;
}

/** The documented error-output JSON line for one record, by error output type. */
export function envelopeLine(f: EnvelopeFields): Buffer {
  const base = { attemptsMade: f.attemptsMade, arrivalTimestamp: f.arrivalMs, errorCode: f.errorCode, errorMessage: f.errorMessage, attemptEndingTimestamp: f.attemptEndingMs, rawData: f.rawData };
  if (f.errorOutputType === 'processing-failed') return failedRecordLine({ kind: 'processing-failed', ...base, lambdaArn: f.lambdaArn ?? '' });
  if (f.errorOutputType === 'format-conversion-failed') return failedRecordLine({ kind: 'format-conversion-failed', ...base });
  return failedRecordLine({ kind: 'generic', ...base });
}
