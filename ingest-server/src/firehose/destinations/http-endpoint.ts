/**
 * Firehose HTTP endpoint delivery: sends one batch to a custom HTTP endpoint as the AWS
 * "HTTP endpoint delivery request and response specifications" describe, and retries it until
 * the endpoint acknowledges it or the retry duration runs out. Owns the request format, the
 * response check, the error codes and the backoff. It does not buffer, batch, back up failed
 * batches to S3 or log: it returns a verdict and the caller does the rest.
 *
 * Spec: https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 * Error codes: https://docs.aws.amazon.com/firehose/latest/dev/http_troubleshooting.html
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { RivuletError, type Clock } from '@rivulet/shared';

const gzipAsync = promisify(gzip);

export interface HttpEndpointTarget {
  url: string;
  name?: string;
  accessKey?: string;
  commonAttributes: Record<string, string>;
  contentEncoding: 'NONE' | 'GZIP';
  /** AWS RetryOptions.DurationInSeconds, in ms; AWS defaults to 300 s. 0 = one attempt, no retries. */
  retryDurationMs: number;
  /** How long one attempt may take; AWS gives endpoints 3 minutes. */
  requestTimeoutMs: number;
  /** Sent as X-Amz-Firehose-Source-Arn when set (the delivery stream's ARN). */
  sourceArn?: string;
}

export interface HttpDeliveryDeps {
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), for the backoff jitter. */
  random(): number;
}

export type HttpDeliveryResult =
  | { ok: true; attempts: number }
  | { ok: false; attempts: number; permanent: boolean; errorCode: string; errorMessage: string };

/** Header names of the protocol (Firehose HTTP endpoint spec, protocol version 1.0). */
export const FIREHOSE_HTTP_HEADERS = {
  protocolVersion: 'X-Amz-Firehose-Protocol-Version',
  requestId: 'X-Amz-Firehose-Request-Id',
  accessKey: 'X-Amz-Firehose-Access-Key',
  commonAttributes: 'X-Amz-Firehose-Common-Attributes',
  sourceArn: 'X-Amz-Firehose-Source-Arn',
} as const;

export const FIREHOSE_HTTP_PROTOCOL_VERSION = '1.0';

/** The errorCode values Firehose logs for HTTP endpoint failures (http_troubleshooting). */
export const HTTP_ENDPOINT_ERROR_CODES = {
  destinationException: 'HttpEndpoint.DestinationException',
  invalidResponse: 'HttpEndpoint.InvalidResponseFromDestination',
  requestTimeout: 'HttpEndpoint.RequestTimeout',
  responseTooLarge: 'HttpEndpoint.ResponseTooLarge',
  connectionFailed: 'HttpEndpoint.ConnectionFailed',
  connectionReset: 'HttpEndpoint.ConnectionReset',
  sslHandshakeFailure: 'HttpEndpoint.SSLHandshakeFailure',
} as const;

/**
 * Spec: initial back-off 1 s, multiplier 2, capped at 2 minutes. AWS jitters by +-15%; we use
 * full jitter (a uniform draw in [0, backoff)), which spreads retries of many streams further.
 */
export const HTTP_BACKOFF = { initialMs: 1_000, multiplier: 2, maxMs: 120_000 } as const;

/** Spec: the response body must be 1 MiB or less. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Spec: access keys are at most 4096 bytes; common attributes at most 50, names 1-256 chars, values up to 1024. */
const MAX_ACCESS_KEY_BYTES = 4096;
const MAX_COMMON_ATTRIBUTES = 50;
/** How much of a failed response goes into errorMessage; AWS logs a truncated payload too. */
const ERROR_BODY_CHARS = 512;

interface AttemptOutcome {
  ok: boolean;
  permanent: boolean;
  errorCode: string;
  errorMessage: string;
}

/**
 * Delivers one batch, retrying with the same request id until success, a permanent failure
 * (HTTP 413) or retryDurationMs of deps.clock's monotonic time has passed. At least one attempt
 * is always made. Throws FIREHOSE_INVALID_ARGUMENT only for a target or batch that can never work.
 */
export async function deliverToHttpEndpoint(
  target: HttpEndpointTarget,
  batch: { requestId: string; records: Buffer[]; timestampMs: number },
  deps: HttpDeliveryDeps,
): Promise<HttpDeliveryResult> {
  const url = checkTarget(target, batch);
  const json = Buffer.from(
    JSON.stringify({
      requestId: batch.requestId,
      timestamp: batch.timestampMs,
      records: batch.records.map((r) => ({ data: r.toString('base64') })),
    }),
  );
  const body = target.contentEncoding === 'GZIP' ? await gzipAsync(json) : json;
  const headers = buildHeaders(target, batch.requestId, body.length);

  const startedMs = deps.clock.monotonicMs();
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(url, headers, body, batch.requestId, target.requestTimeoutMs, deps.clock);
    if (outcome.ok) return { ok: true, attempts: attempt };
    const remainingMs = target.retryDurationMs - (deps.clock.monotonicMs() - startedMs);
    if (outcome.permanent || remainingMs <= 0) {
      return { ok: false, attempts: attempt, permanent: outcome.permanent, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
    }
    await deps.sleep(Math.min(remainingMs, backoffMs(attempt, deps.random)));
  }
}

/** Full-jitter exponential backoff before retry number `retry` (1 = the first retry). */
export function backoffMs(retry: number, random: () => number): number {
  const ceiling = Math.min(HTTP_BACKOFF.maxMs, HTTP_BACKOFF.initialMs * HTTP_BACKOFF.multiplier ** (retry - 1));
  return Math.floor(ceiling * Math.min(Math.max(random(), 0), 1));
}

function checkTarget(target: HttpEndpointTarget, batch: { requestId: string; records: Buffer[] }): URL {
  const invalid = (message: string) => new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message });
  let url: URL;
  try {
    url = new URL(target.url);
  } catch (err) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `HTTP endpoint URL ${JSON.stringify(target.url)} is not a URL` }, { cause: err });
  }
  // AWS only delivers to https on port 443; a self-hosted clone also has to reach plain-http peers.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`HTTP endpoint URL must be http(s), got ${url.protocol}`);
  if (!(target.requestTimeoutMs > 0)) throw invalid('HTTP endpoint requestTimeoutMs must be positive');
  if (!(target.retryDurationMs >= 0)) throw invalid('HTTP endpoint retryDurationMs must be zero or more');
  if (target.accessKey !== undefined) {
    if (Buffer.byteLength(target.accessKey) > MAX_ACCESS_KEY_BYTES) throw invalid(`HTTP endpoint access key exceeds ${MAX_ACCESS_KEY_BYTES} bytes`);
    if (!isHeaderSafe(target.accessKey)) throw invalid('HTTP endpoint access key must be printable ASCII');
  }
  const attributes = Object.entries(target.commonAttributes);
  if (attributes.length > MAX_COMMON_ATTRIBUTES) throw invalid(`At most ${MAX_COMMON_ATTRIBUTES} common attributes are allowed`);
  for (const [name, value] of attributes) {
    if (name.length < 1 || name.length > 256 || value.length > 1024) {
      throw invalid(`Common attribute ${JSON.stringify(name.slice(0, 64))} must have a 1-256 character name and a value of at most 1024 characters`);
    }
  }
  if (batch.records.length === 0) throw invalid('An HTTP endpoint request needs at least one record');
  if (batch.requestId.length === 0 || !isHeaderSafe(batch.requestId)) throw invalid('The request id must be non-empty printable ASCII');
  return url;
}

function isHeaderSafe(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

function buildHeaders(target: HttpEndpointTarget, requestId: string, contentLength: number): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(contentLength),
    [FIREHOSE_HTTP_HEADERS.protocolVersion]: FIREHOSE_HTTP_PROTOCOL_VERSION,
    [FIREHOSE_HTTP_HEADERS.requestId]: requestId,
    // Header values must be ASCII, so anything else in the attributes travels as a JSON \u escape.
    [FIREHOSE_HTTP_HEADERS.commonAttributes]: asciiJson({ commonAttributes: target.commonAttributes }),
  };
  // Spec: without compression the Content-Encoding header is absent altogether.
  if (target.contentEncoding === 'GZIP') headers['Content-Encoding'] = 'gzip';
  if (target.accessKey !== undefined) headers[FIREHOSE_HTTP_HEADERS.accessKey] = target.accessKey;
  if (target.sourceArn !== undefined) headers[FIREHOSE_HTTP_HEADERS.sourceArn] = target.sourceArn;
  return headers;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function attemptOnce(url: URL, headers: Record<string, string>, body: Buffer, requestId: string, timeoutMs: number, clock: Clock): Promise<AttemptOutcome> {
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome, responseComplete = false) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      // A complete response leaves the socket to the agent's keep-alive pool.
      if (!responseComplete) req.destroy();
      resolve(outcome);
    };
    const fail = (errorCode: string, errorMessage: string, permanent = false) => finish({ ok: false, permanent, errorCode, errorMessage });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', headers });
    const timer = clock.setTimer(
      () => fail(HTTP_ENDPOINT_ERROR_CODES.requestTimeout, `The endpoint did not respond within ${timeoutMs} ms`),
      timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = classifySocketError(err);
      fail(code, `${code === HTTP_ENDPOINT_ERROR_CODES.connectionFailed ? 'Could not connect to' : 'Request failed for'} ${url.host}: ${err.code ?? err.message}`);
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          fail(HTTP_ENDPOINT_ERROR_CODES.responseTooLarge, `The response exceeded ${MAX_RESPONSE_BYTES} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail(HTTP_ENDPOINT_ERROR_CODES.connectionReset, `The response from ${url.host} was cut off: ${err.code ?? err.message}`));
      res.on('end', () => finish(judgeResponse(res, Buffer.concat(chunks), requestId), true));
    });
    req.end(body);
  });
}

function classifySocketError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(code) || err.message === 'socket hang up') return HTTP_ENDPOINT_ERROR_CODES.connectionReset;
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code === 'EPROTO' || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return HTTP_ENDPOINT_ERROR_CODES.sslHandshakeFailure;
  }
  return HTTP_ENDPOINT_ERROR_CODES.connectionFailed;
}

/**
 * Spec: only 200 is success, and only with an uncompressed application/json body whose requestId
 * matches and whose timestamp is a number; 413 is a permanent failure; everything else
 * (3xx are not followed, other 2xx, 4xx, 5xx) is retried.
 */
function judgeResponse(res: IncomingMessage, raw: Buffer, requestId: string): AttemptOutcome {
  const status = res.statusCode ?? 0;
  const text = raw.toString('utf8');
  if (status !== 200) {
    return {
      ok: false,
      permanent: status === 413,
      errorCode: HTTP_ENDPOINT_ERROR_CODES.destinationException,
      errorMessage: `The following response was received from the endpoint destination. ${status}: ${truncate(text)}`,
    };
  }
  const invalid = (why: string): AttemptOutcome => ({
    ok: false,
    permanent: false,
    errorCode: HTTP_ENDPOINT_ERROR_CODES.invalidResponse,
    errorMessage: `The response received from the specified endpoint is invalid. Response for request ${requestId} ${why}. Raw response received: 200 ${truncate(text)}`,
  });
  const contentType = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') return invalid('does not have the content type application/json');
  const encoding = res.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return invalid('is content-encoded');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('is not recognized as valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  if (typeof fields['requestId'] !== 'string') return invalid('has no requestId');
  if (fields['requestId'] !== requestId) return invalid('has a requestId that does not match');
  if (typeof fields['timestamp'] !== 'number') return invalid('has no numeric timestamp');
  return { ok: true, permanent: false, errorCode: '', errorMessage: '' };
}

function truncate(text: string): string {
  return text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}...` : text;
}
