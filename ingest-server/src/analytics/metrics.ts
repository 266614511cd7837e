/**
 * What a running Analytics application reports to a metrics backend: input rows, output rows
 * sent, error_stream rows, and its lag behind the input. A narrow interface with a no-op
 * default, so the runner never imports prom-client; plugins/metrics.ts adapts it.
 */

export interface ApplicationMetrics {
  inputRows(rows: number): void;
  outputRows(rows: number): void;
  errors(rows: number): void;
  /** Now minus the arrival time of the last input record processed; 0 when caught up and idle. */
  lagMs(ms: number): void;
}

export interface AnalyticsMetrics {
  application(name: string): ApplicationMetrics;
}

export const NO_APPLICATION_METRICS: ApplicationMetrics = { inputRows() {}, outputRows() {}, errors() {}, lagMs() {} };

export const NO_ANALYTICS_METRICS: AnalyticsMetrics = { application: () => NO_APPLICATION_METRICS };
