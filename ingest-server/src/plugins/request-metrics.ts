/**
 * Per-request observability: the request id (an incoming x-request-id when it is a safe token,
 * else a fresh UUID), the labels of a request (service and action, bounded: never raw URLs or
 * unknown targets), the completion log line, the request counters and latency histogram, and
 * the GET /metrics route with its credentials. Owns none of the metrics themselves (metrics.ts).
 *
 * /metrics follows the server's auth: open with auth none; with sigv4 it takes a signed request
 * (or a console session, checked by the auth plugin), or `Authorization: Bearer <token>` when
 * config metrics.bearerToken is set, for Prometheus scrapers.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HEADERS, TARGET_PREFIX } from '@rivulet/shared';
import type { ServerMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** PutRecords records refused for throughput in a 200 answer (the request metrics count them). */
    throttledRecords?: number;
  }
}

export const METRICS_PATH = '/metrics';
export const REQUEST_ID_HEADER = 'x-request-id';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** An incoming x-request-id is kept only when it is a short, safe token; otherwise a UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

const SERVICE_BY_PREFIX = new Map<string, string>(Object.entries(TARGET_PREFIX).map(([service, prefix]) => [prefix, service]));
const ACTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** Error types that mean the target named no action: the label is then "Unknown", not the name sent. */
const UNKNOWN_TARGET = new Set(['UnknownOperationException']);
const THROTTLE_TYPES = new Set(['ProvisionedThroughputExceededException']);
const OTHER_PATHS = new Set([METRICS_PATH, '/healthz', '/readyz']);
/** Levels at which the completion line (info) is written; others skip building it. */
const LOGS_INFO = new Set(['info', 'debug', 'trace']);

export interface RequestLabels {
  service: string;
  action: string;
}

/**
 * service and action of an answered request. AWS JSON requests are named by X-Amz-Target; REST
 * routes by their path (/getClip -> GetClip). Only route patterns and known targets become
 * labels, so no request can grow the label set.
 */
export function requestLabels(route: string | undefined, target: string | string[] | undefined, errorType: unknown): RequestLabels {
  if (route === undefined) return { service: 'other', action: 'NotFound' };
  if (route === '/') {
    const [prefix, name] = typeof target === 'string' ? target.split('.', 2) : [];
    const service = prefix === undefined ? undefined : SERVICE_BY_PREFIX.get(prefix);
    if (service === undefined) return { service: 'other', action: 'Unknown' };
    const known = name !== undefined && ACTION_NAME.test(name) && !UNKNOWN_TARGET.has(String(errorType));
    return { service, action: known ? name : 'Unknown' };
  }
  const action = pathAction(route);
  if (OTHER_PATHS.has(route)) return { service: 'other', action };
  if (route.startsWith('/console')) return { service: 'console', action };
  if (route.startsWith('/analytics/')) return { service: 'analytics', action };
  return { service: 'video', action };
}

/** The last literal segment of a route pattern, without extension, in PascalCase: /hls/v1/getHLSMasterPlaylist.m3u8 -> GetHLSMasterPlaylist. */
function pathAction(route: string): string {
  const segments = route.split('/').filter((s) => s !== '' && s !== '*' && !s.startsWith(':'));
  const last = (segments[segments.length - 1] ?? 'index').replace(/\..*$/, '').replace(/[^A-Za-z0-9]/g, '');
  return last === '' ? 'Index' : last[0]!.toUpperCase() + last.slice(1);
}

export interface RequestMetricsOptions {
  metrics: ServerMetrics;
  /** config metrics.bearerToken: a scraper presenting it needs no SigV4. */
  bearerToken?: string | undefined;
}

/**
 * Adds the completion hook (counters, histogram and one log line per request, carrying reqId,
 * service, action, status and durationMs) and GET /metrics. Call before routes are registered.
 */
export function registerRequestMetrics(app: FastifyInstance, opts: RequestMetricsOptions): void {
  const { metrics } = opts;
  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
    const errorType = reply.getHeader('x-amzn-errortype');
    const { service, action } = requestLabels(request.routeOptions.url, request.headers[HEADERS.target], errorType);
    const status = reply.statusCode;
    const throttled = THROTTLE_TYPES.has(String(errorType)) ? 1 : (request.throttledRecords ?? 0);
    metrics.observeRequest(service, action, status, reply.elapsedTime / 1000, throttled);
    if (LOGS_INFO.has(request.log.level)) {
      request.log.info({ service, action, status, durationMs: Math.round(reply.elapsedTime * 1000) / 1000, ...(throttled > 0 ? { throttled } : {}) }, 'request completed');
    }
    done();
  });
  const token = opts.bearerToken === undefined ? null : Buffer.from(`Bearer ${opts.bearerToken}`);
  const bearerVerifies = (request: FastifyRequest): boolean => {
    const given = request.headers.authorization;
    if (token === null || typeof given !== 'string') return false;
    const bytes = Buffer.from(given);
    return bytes.byteLength === token.byteLength && timingSafeEqual(bytes, token);
  };
  app.get(METRICS_PATH, { config: { verifyOwnCredential: bearerVerifies } }, async (_request, reply: FastifyReply) => {
    const { contentType, body } = await metrics.text();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}
