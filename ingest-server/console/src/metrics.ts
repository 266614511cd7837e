/**
 * Live metrics for the console: polls GET /metrics once a second while some page listens, keeps
 * the last two minutes of scrapes, and derives per-second rates from the counters named in the
 * issue-8 metrics contract. Owns polling and history; parsing is prom-text.ts.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
// The file itself, not @rivulet/shared's index, which pulls in Node-only modules.
import { METRIC_NAMES } from '../../../shared/src/metric-names.js';
import { getText } from './api.js';
import { counterRate, parsePromText, type Sample } from './prom-text.js';

/** The names the pages read, from the one registry in shared (the issue-8 metrics contract). */
export const METRICS = {
  streamInRecords: METRIC_NAMES.streamIncomingRecords,
  streamInBytes: METRIC_NAMES.streamIncomingBytes,
  streamOutRecords: METRIC_NAMES.streamOutgoingRecords,
  streamOutBytes: METRIC_NAMES.streamOutgoingBytes,
  iteratorAge: METRIC_NAMES.streamIteratorAge,
  firehoseBufferedRecords: METRIC_NAMES.firehoseBufferedRecords,
  firehoseBufferedBytes: METRIC_NAMES.firehoseBufferedBytes,
  firehoseFreshness: METRIC_NAMES.firehoseDataFreshness,
  firehoseLastDelivery: METRIC_NAMES.firehoseLastDelivery,
  firehoseSuccess: METRIC_NAMES.firehoseDeliverySuccess,
  firehoseFailures: METRIC_NAMES.firehoseDeliveryFailures,
  firehoseDeliveredRecords: METRIC_NAMES.firehoseDeliveredRecords,
  firehoseDeliveredBytes: METRIC_NAMES.firehoseDeliveredBytes,
  firehoseInRecords: METRIC_NAMES.firehoseIncomingRecords,
  analyticsLag: METRIC_NAMES.analyticsLag,
  analyticsIn: METRIC_NAMES.analyticsInputRows,
  analyticsOut: METRIC_NAMES.analyticsOutputRows,
  analyticsErrors: METRIC_NAMES.analyticsErrors,
} as const;

export interface Scrape {
  atMs: number;
  samples: Sample[];
}

const POLL_MS = 1000;
const KEEP = 121;

export class MetricsPoller {
  history: Scrape[] = [];
  error: string | null = null;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    const started = Date.now();
    try {
      const text = await getText('/metrics');
      this.history = [...this.history.slice(-(KEEP - 1)), { atMs: Date.now(), samples: parsePromText(text) }];
      this.error = null;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.inFlight = false;
    }
    for (const l of this.listeners) l();
    if (this.listeners.size > 0) this.schedule(Math.max(0, POLL_MS - (Date.now() - started)));
  }
}

export const MetricsContext = createContext<MetricsPoller>(new MetricsPoller());

/** The scrape history; the calling component re-renders after every scrape. */
export function useMetrics(): { history: readonly Scrape[]; error: string | null } {
  const poller = useContext(MetricsContext);
  const [, setTick] = useState(0);
  useEffect(() => poller.subscribe(() => setTick((t) => t + 1)), [poller]);
  return { history: poller.history, error: poller.error };
}

/** Per-second rates of `value` (a counter read from each scrape) between consecutive scrapes. */
export function rateSeries(history: readonly Scrape[], value: (samples: Sample[]) => number): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 1; i < history.length; i++) {
    const prev = history[i - 1]!;
    const cur = history[i]!;
    xs.push(cur.atMs / 1000);
    ys.push(counterRate(value(prev.samples), value(cur.samples), (cur.atMs - prev.atMs) / 1000));
  }
  return { xs, ys };
}

/** The latest rate of a counter, or 0 with fewer than two scrapes. */
export function latestRate(history: readonly Scrape[], value: (samples: Sample[]) => number): number {
  const { ys } = rateSeries(history.slice(-2), value);
  return ys[ys.length - 1] ?? 0;
}
