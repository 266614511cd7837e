/**
 * The agent's Prometheus metrics, served as GET /metrics by the status server. Owns one
 * prom-client Registry per agent (never the global default) and how a snapshot of the agent's
 * counters becomes metrics at scrape time: the sources, the buffer and the uploaders already
 * count everything, so nothing is counted twice and no hot path is touched. Names come from
 * METRIC_NAMES (@rivulet/shared), the issue 8 contract. Does not own the HTTP route.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC_NAMES as N, METRIC_PREFIX } from '@rivulet/shared';

/** What the agent reports at each scrape; counters are totals since the agent started. */
export interface AgentMetricsSnapshot {
  sources: Record<string, { emitted: number; errors: number }>;
  buffer: { records: number; bytes: number; oldestUnsentAgeMs: number | null };
  /** uploader (streams, video) -> records (fragments, for video) uploaded. */
  uploaded: Record<string, number>;
  /** uploader -> upload attempts that did not succeed (retried or given up). */
  uploadFailures: Record<string, number>;
}

export class AgentMetrics {
  readonly registry = new Registry();

  constructor(snapshot: () => AgentMetricsSnapshot) {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX.agent });
    // prom-client's *_total gauges fail Prometheus linters; the per-type gauges stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(METRIC_PREFIX.agent + name);
    // Each metric reads a fresh snapshot: they are cheap (counters and the buffer's in-memory index).
    const registers = [this.registry];
    const totals = (name: string, help: string, label: string, pick: (s: AgentMetricsSnapshot) => Record<string, number>) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [key, value] of Object.entries(pick(snapshot()))) this.inc({ [label]: key }, value);
        },
      });
    const level = (name: string, help: string, pick: (s: AgentMetricsSnapshot) => number | null) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const v = pick(snapshot());
          if (v === null) this.reset();
          else this.set(v);
        },
      });
    totals(N.agentSourceRecords, 'Records each source handed to the buffer', 'source', (s) => mapValues(s.sources, (v) => v.emitted));
    totals(N.agentSourceErrors, 'Errors each source met (bad messages, failed samples, restarts)', 'source', (s) => mapValues(s.sources, (v) => v.errors));
    level(N.agentBufferRecords, 'Records in the durable buffer, not yet uploaded', (s) => s.buffer.records);
    level(N.agentBufferBytes, 'Bytes the durable buffer holds', (s) => s.buffer.bytes);
    level(N.agentOldestUnsentAge, 'Age in seconds of the oldest record not yet uploaded; 0 when the buffer is empty', (s) => (s.buffer.oldestUnsentAgeMs ?? 0) / 1000);
    totals(N.agentUploadedRecords, 'Records uploaded and acknowledged, per uploader (fragments for video)', 'uploader', (s) => s.uploaded);
    totals(N.agentUploadFailures, 'Upload attempts that failed, per uploader', 'uploader', (s) => s.uploadFailures);
  }

  /** The Prometheus text exposition (format 0.0.4). */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function mapValues<T>(record: Record<string, T>, f: (v: T) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
