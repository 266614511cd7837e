/**
 * What Data Streams reports to a metrics backend: records and bytes in and out per shard, and
 * the MillisBehindLatest of the last read. A narrow interface with a no-op default, so the
 * service never imports prom-client; plugins/metrics.ts adapts it. Callers resolve a shard's
 * handle once and keep it (ShardRuntime.metrics): the hot path does no label lookups.
 */

export interface ShardMetrics {
  /** Accepted records; bytes are data plus partition key, as the write limit meters them. */
  recordsIn(records: number, bytes: number): void;
  /** Records returned by one read; bytes are data bytes, as the read limit meters them. */
  recordsOut(records: number, bytes: number, millisBehindLatest: number): void;
}

export interface StreamsMetrics {
  shard(stream: string, shardId: string): ShardMetrics;
}

const NO_SHARD_METRICS: ShardMetrics = { recordsIn() {}, recordsOut() {} };

export const NO_STREAMS_METRICS: StreamsMetrics = { shard: () => NO_SHARD_METRICS };
