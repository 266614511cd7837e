/**
 * What PutMedia reports to a metrics backend: body bytes received and fragments persisted per
 * video stream. A narrow interface with a no-op default, so the route never imports
 * prom-client; plugins/metrics.ts adapts it.
 */

export interface VideoStreamMetrics {
  bytesIn(bytes: number): void;
  fragmentPersisted(): void;
}

export interface VideoMetrics {
  stream(name: string): VideoStreamMetrics;
}

const NO_VIDEO_STREAM_METRICS: VideoStreamMetrics = { bytesIn() {}, fragmentPersisted() {} };

export const NO_VIDEO_METRICS: VideoMetrics = { stream: () => NO_VIDEO_STREAM_METRICS };
