/**
 * The server's Prometheus metrics. Owns one prom-client Registry per server (never the global
 * default registry, so two servers in one process do not collide), the adapters behind each
 * service's narrow metrics interface (streams/metrics.ts, firehose/metrics.ts, video/metrics.ts,
 * analytics/metrics.ts), and the gauges read at scrape time (open shards, Firehose backlog and
 * freshness, LevelDB size). Names come from METRIC_NAMES (@rivulet/shared), the issue 8 contract.
 * Does not own the request hook or the /metrics route (request-metrics.ts), nor readiness (health.ts).
 *
 * Hot paths stay cheap: a shard's, delivery stream's, video stream's or application's handle
 * resolves its label children once and keeps them; requests resolve theirs once per
 * (service, action, status) from a map.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC_NAMES as N, METRIC_PREFIX } from '@rivulet/shared';
import type { AnalyticsMetrics } from '../analytics/index.js';
import type { Backlog, FirehoseMetrics } from '../firehose/index.js';
import type { StreamsMetrics } from '../streams/index.js';
import type { VideoMetrics } from '../video/index.js';

/** What the scrape-time gauges read; app.ts wires it to the services once they are open. */
export interface ScrapeSources {
  nowMs(): number;
  openShards(): Iterable<{ stream: string; shards: number }>;
  deliveryStreams(): Iterable<{ name: string; backlog: Backlog; lastDeliveryMs: number | null }>;
  /** store label -> its LevelDB directory. */
  leveldbDirs: Readonly<Record<string, string>>;
}

interface RequestChildren {
  requests: { inc(n?: number): void };
  duration: { observe(seconds: number): void };
  throttled: { inc(n?: number): void };
}

/** Latency buckets in seconds: sub-millisecond puts up to long PutMedia and GetClip requests. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class ServerMetrics {
  readonly registry = new Registry();
  private sources: ScrapeSources | null = null;
  private readonly requestChildren = new Map<string, RequestChildren>();

  private readonly requests = this.counter(N.requests, 'Requests answered, by service, action and HTTP status', ['service', 'action', 'status']);
  private readonly duration = new Histogram({ name: N.requestDuration, help: 'Request duration in seconds, until the response ended', labelNames: ['service', 'action'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  private readonly throttled = this.counter(N.throttled, 'Requests refused for throughput (ProvisionedThroughputExceededException), and PutRecords records refused so', ['service', 'action']);
  private readonly streamRecordsIn = this.counter(N.streamIncomingRecords, 'Records accepted into a shard', ['stream', 'shard']);
  private readonly streamBytesIn = this.counter(N.streamIncomingBytes, 'Bytes accepted into a shard: data plus partition key, as the write limit meters them', ['stream', 'shard']);
  private readonly streamRecordsOut = this.counter(N.streamOutgoingRecords, 'Records returned by GetRecords from a shard', ['stream', 'shard']);
  private readonly streamBytesOut = this.counter(N.streamOutgoingBytes, 'Data bytes returned by GetRecords from a shard', ['stream', 'shard']);
  private readonly iteratorAge = this.gauge(N.streamIteratorAge, 'MillisBehindLatest of the last GetRecords on a shard, in seconds', ['stream', 'shard']);
  private readonly videoFragments = this.counter(N.videoFragments, 'Fragments persisted by PutMedia', ['stream']);
  private readonly videoBytes = this.counter(N.videoIncomingBytes, 'PutMedia body bytes received', ['stream']);
  private readonly firehoseRecordsIn = this.counter(N.firehoseIncomingRecords, 'Records accepted by a delivery stream (Direct PUT or its source stream)', ['delivery_stream']);
  private readonly firehoseBytesIn = this.counter(N.firehoseIncomingBytes, 'Data bytes accepted by a delivery stream', ['delivery_stream']);
  private readonly deliverySuccess = this.counter(N.firehoseDeliverySuccess, 'Delivery attempts of a batch that succeeded', ['delivery_stream', 'destination']);
  private readonly deliveryFailures = this.counter(N.firehoseDeliveryFailures, 'Delivery attempts of a batch that failed', ['delivery_stream', 'destination']);
  private readonly deliveredRecords = this.counter(N.firehoseDeliveredRecords, 'Records delivered', ['delivery_stream', 'destination']);
  private readonly deliveredBytes = this.counter(N.firehoseDeliveredBytes, 'Bytes delivered (before compression)', ['delivery_stream', 'destination']);
  private readonly analyticsLag = this.gauge(N.analyticsLag, 'Now minus the arrival time of the last input record processed, in seconds; 0 when caught up and idle', ['application']);
  private readonly analyticsIn = this.counter(N.analyticsInputRows, 'Rows read from the input into the source in-application stream', ['application']);
  private readonly analyticsOut = this.counter(N.analyticsOutputRows, 'Rows sent to the application outputs', ['application']);
  private readonly analyticsErrors = this.counter(N.analyticsErrors, 'Rows written to error_stream', ['application']);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX.server });
    dropLintFailingDefaults(this.registry, METRIC_PREFIX.server);
    const self = this;
    this.gauge(N.streamShards, 'Open shards of a data stream', ['stream'], function collect() {
      this.reset();
      for (const s of self.sources?.openShards() ?? []) this.set({ stream: s.stream }, s.shards);
    });
    const backlogGauge = (name: string, help: string, value: (d: { backlog: Backlog; lastDeliveryMs: number | null }, nowMs: number) => number | null) =>
      this.gauge(name, help, ['delivery_stream'], function collect() {
        this.reset();
        if (!self.sources) return;
        const now = self.sources.nowMs();
        for (const d of self.sources.deliveryStreams()) {
          const v = value(d, now);
          if (v !== null) this.set({ delivery_stream: d.name }, v);
        }
      });
    backlogGauge(N.firehoseBufferedRecords, 'Records accepted and not yet delivered', (d) => d.backlog.records);
    backlogGauge(N.firehoseBufferedBytes, 'Bytes accepted and not yet delivered', (d) => d.backlog.bytes);
    backlogGauge(N.firehoseDataFreshness, 'Age in seconds of the oldest accepted, undelivered record; 0 when none', (d, now) =>
      d.backlog.oldestArrivalMs === null ? 0 : Math.max(0, now - d.backlog.oldestArrivalMs) / 1000,
    );
    backlogGauge(N.firehoseLastDelivery, 'Unix time in seconds of the last successful delivery', (d) => (d.lastDeliveryMs === null ? null : d.lastDeliveryMs / 1000));
    this.gauge(N.leveldbSize, 'Bytes on disk of a store\'s LevelDB directory, measured at scrape time', ['store'], async function collect() {
      this.reset();
      for (const [store, dir] of Object.entries(self.sources?.leveldbDirs ?? {})) this.set({ store }, await directoryBytes(dir));
    });
  }

  /** Connects the scrape-time gauges to the open services. */
  watch(sources: ScrapeSources): void {
    this.sources = sources;
  }

  /** The Prometheus text exposition (format 0.0.4). */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Counts one answered request. `throttled` is 1 for a refused request, n for n refused PutRecords records. */
  observeRequest(service: string, action: string, status: number, seconds: number, throttled: number): void {
    const key = `${service} ${action} ${status}`;
    let c = this.requestChildren.get(key);
    if (!c) {
      c = { requests: this.requests.labels(service, action, String(status)), duration: this.duration.labels(service, action), throttled: this.throttled.labels(service, action) };
      this.requestChildren.set(key, c);
    }
    c.requests.inc();
    c.duration.observe(seconds);
    if (throttled > 0) c.throttled.inc(throttled);
  }

  readonly streams: StreamsMetrics = {
    shard: (stream, shard) => {
      const recordsIn = this.streamRecordsIn.labels(stream, shard);
      const bytesIn = this.streamBytesIn.labels(stream, shard);
      const recordsOut = this.streamRecordsOut.labels(stream, shard);
      const bytesOut = this.streamBytesOut.labels(stream, shard);
      const age = this.iteratorAge.labels(stream, shard);
      return {
        recordsIn(records, bytes) {
          recordsIn.inc(records);
          bytesIn.inc(bytes);
        },
        recordsOut(records, bytes, millisBehindLatest) {
          recordsOut.inc(records);
          bytesOut.inc(bytes);
          age.set(millisBehindLatest / 1000);
        },
      };
    },
  };

  readonly firehose: FirehoseMetrics = {
    deliveryStream: (name) => {
      const recordsIn = this.firehoseRecordsIn.labels(name);
      const bytesIn = this.firehoseBytesIn.labels(name);
      // Zero series from the start, so rate() sees the first increment.
      recordsIn.inc(0);
      bytesIn.inc(0);
      return {
        incoming(records, bytes) {
          recordsIn.inc(records);
          bytesIn.inc(bytes);
        },
        delivered: (destination, records, bytes) => {
          this.deliverySuccess.labels(name, destination).inc();
          this.deliveredRecords.labels(name, destination).inc(records);
          this.deliveredBytes.labels(name, destination).inc(bytes);
        },
        failed: (destination) => this.deliveryFailures.labels(name, destination).inc(),
      };
    },
  };

  readonly video: VideoMetrics = {
    stream: (name) => {
      const fragments = this.videoFragments.labels(name);
      const bytes = this.videoBytes.labels(name);
      return { bytesIn: (n) => bytes.inc(n), fragmentPersisted: () => fragments.inc() };
    },
  };

  readonly analytics: AnalyticsMetrics = {
    application: (name) => {
      const lag = this.analyticsLag.labels(name);
      const input = this.analyticsIn.labels(name);
      const output = this.analyticsOut.labels(name);
      const errors = this.analyticsErrors.labels(name);
      lag.set(0);
      for (const c of [input, output, errors]) c.inc(0);
      return { inputRows: (n) => input.inc(n), outputRows: (n) => output.inc(n), errors: (n) => errors.inc(n), lagMs: (ms) => lag.set(ms / 1000) };
    },
  };

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (this: Gauge<L>) => void | Promise<void>): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }
}

/**
 * prom-client's defaults include three gauges named *_total (nodejs_active_handles_total, ...),
 * which Prometheus linters refuse; the same counts stay available per type without the suffix.
 */
export function dropLintFailingDefaults(registry: Registry, prefix: string): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(prefix + name);
}

/** Bytes of the regular files directly in `dir` (a LevelDB directory is flat); 0 when it is gone. */
export async function directoryBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names) {
    // A file LevelDB removes between readdir and stat (a compaction) just counts as gone.
    const s = await stat(join(dir, name)).catch(() => null);
    if (s?.isFile()) total += s.size;
  }
  return total;
}
