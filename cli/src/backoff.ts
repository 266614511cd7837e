/**
 * Waiting between retries: exponential backoff with full jitter, and an abortable sleep on the
 * injected clock. Owns only the timing; the callers decide what is retried.
 */
import type { Clock } from '@rivulet/shared';

export const BASE_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 5_000;

/** Full jitter (AWS Architecture Blog): uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = BASE_BACKOFF_MS, maxMs = MAX_BACKOFF_MS): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** Resolves after ms, or at once when signal aborts (it never rejects). */
export function sleep(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Errors worth a retry after a pause: throughput limits and the SDK's throttling names. */
export function isThrottle(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name ?? '';
  return ['ProvisionedThroughputExceededException', 'LimitExceededException', 'ThrottlingException', 'KMSThrottlingException', 'ServiceUnavailable', 'ServiceUnavailableException'].includes(name);
}
