/**
 * What a Firehose delivery stream reports to a metrics backend: records accepted, and each
 * delivery attempt of a batch with where it went. A narrow interface with a no-op default, so
 * the service never imports prom-client; plugins/metrics.ts adapts it. Buffered records and
 * freshness are read at scrape time (DeliveryStream.backlog()), not pushed.
 */
import type { BatchDoc } from './model.js';
import type { DeliveryPlan } from './plan.js';

export interface DeliveryStreamMetrics {
  incoming(records: number, bytes: number): void;
  /** One successful delivery attempt of a batch of `records` records and `bytes` bytes. */
  delivered(destination: string, records: number, bytes: number): void;
  /** One failed delivery attempt (it is retried, or its records go to the error output). */
  failed(destination: string): void;
}

export interface FirehoseMetrics {
  deliveryStream(name: string): DeliveryStreamMetrics;
}

const NO_DELIVERY_METRICS: DeliveryStreamMetrics = { incoming() {}, delivered() {}, failed() {} };

export const NO_FIREHOSE_METRICS: FirehoseMetrics = { deliveryStream: () => NO_DELIVERY_METRICS };

/**
 * The `destination` label of a batch: the destination's kind for data batches (s3 covers
 * directory buckets and S3-compatible servers alike), else the side output it goes to.
 */
export function destinationLabel(batch: Pick<BatchDoc, 'kind'>, plan: DeliveryPlan): string {
  if (batch.kind === 'error') return 'error_output';
  if (batch.kind === 'backup') return 'backup';
  const kind = plan.destination.kind;
  return kind === 'objects' ? 's3' : kind === 'http' ? 'http_endpoint' : 'postgres';
}
