/**
 * Maps an HTTP response (status, headers, AWS error type) or a transport failure to a Verdict,
 * so every uploader classifies outcomes the same way. It owns only the classification and the
 * Retry-After parse; the scheduler decides what to do with the verdict.
 */
import type { Verdict } from './scheduler.js';

/** RFC 9110 §10.2.3; lower-case as Node and fetch present header names. */
export const RETRY_AFTER_HEADER = 'retry-after';

const HTTP_DATE_START = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i;

/** HTTP statuses that signal a transient condition on the server or in between. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * AWS error types that are throttling or transient even though Kinesis sends them with a 400.
 * Kinesis: PutRecords/PutRecord return ProvisionedThroughputExceededException when a shard's
 * write limit is hit; control-plane calls return LimitExceededException.
 */
const RETRYABLE_AWS_TYPES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
  'InternalFailure',
  'ServiceUnavailable',
]);

/**
 * @param nowMs wall-clock now, needed only to turn an HTTP-date Retry-After into a delay.
 * @example
 * verdictFromHttp(res.status, headersOf(res), body.__type, clock.now());
 */
export function verdictFromHttp(
  status: number,
  headers: Record<string, string | undefined>,
  awsErrorType?: string,
  nowMs?: number,
): Verdict {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const type = awsErrorType ? normaliseAwsType(awsErrorType) : undefined;
  const reason = type ? `HTTP ${status} ${type}` : `HTTP ${status}`;
  // 501 and 505 say the server will never handle this request; other 5xx are its trouble, not ours.
  const retryable =
    RETRYABLE_STATUSES.has(status) ||
    (type !== undefined && RETRYABLE_AWS_TYPES.has(type)) ||
    (status >= 500 && status < 600 && status !== 501 && status !== 505);
  if (!retryable) return { kind: 'error', reason };
  const retryAfterMs = parseRetryAfter(header(headers, RETRY_AFTER_HEADER), nowMs);
  return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', retryAfterMs, reason };
}

/** A request that got no HTTP response (refused, reset, DNS, timeout) is always worth retrying. */
export function verdictFromNetworkError(err: unknown): Verdict {
  return { kind: 'retry', reason: `network error: ${describe(err)}` };
}

/**
 * Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the past means now.
 * Returns undefined when absent, malformed, or a date arrives without `nowMs`.
 */
export function parseRetryAfter(value: string | undefined, nowMs?: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form opens with a day name; this keeps Date.parse's leniency ("-5", "1.5") out.
  if (nowMs === undefined || !HTTP_DATE_START.test(text)) return undefined;
  const atMs = Date.parse(text);
  if (Number.isNaN(atMs)) return undefined;
  return Math.max(0, atMs - nowMs);
}

/** AWS JSON __type may arrive as "com.amazonaws.kinesis.v20131202#Name" or "Name:http://...". */
function normaliseAwsType(raw: string): string {
  const afterHash = raw.slice(raw.lastIndexOf('#') + 1);
  return afterHash.split(':')[0] ?? afterHash;
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The error code and message, following `cause` (fetch wraps the socket error in "fetch failed"). */
function describe(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(typeof code === 'string' ? `${code} ${current.message}` : current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(': ') || 'unknown';
}
