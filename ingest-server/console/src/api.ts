/**
 * How the console talks to rivulet-ingest: the ordinary AWS JSON 1.1 and REST-JSON endpoints,
 * /metrics and the few /console/api endpoints, all same-origin. With auth sigv4 the browser
 * sends its HttpOnly session cookie plus the `x-rivulet-console: 1` header in place of a
 * signature. Owns request shapes and turning AWS error bodies into ApiError.
 */

export const CONSOLE_HEADERS = { 'x-rivulet-console': '1' } as const;

export const TARGETS = {
  streams: 'Kinesis_20131202',
  firehose: 'Firehose_20150804',
  analytics: 'KinesisAnalytics_20150814',
} as const;

export class ApiError extends Error {
  constructor(
    /** The AWS exception name, e.g. CodeValidationException. */
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = type;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when a request is refused for want of a login (the session expired or was revoked). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let type = `Http${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { __type?: string; message?: string; Message?: string };
    if (body.__type) type = body.__type.slice(body.__type.lastIndexOf('#') + 1);
    message = body.message ?? body.Message ?? message;
  } catch {
    // Not a JSON error body: keep the status text.
  }
  if (res.status === 403 && (type === 'MissingAuthenticationTokenException' || type === 'UnrecognizedClientException')) {
    for (const l of unauthorizedListeners) l();
  }
  throw new ApiError(type, message, res.status);
}

/** An AWS JSON 1.1 action, e.g. awsJson('streams', 'ListStreams', {}). */
export async function awsJson<T>(service: keyof typeof TARGETS, action: string, body: object): Promise<T> {
  const res = await fetch('/', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...CONSOLE_HEADERS, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGETS[service]}.${action}` },
    body: JSON.stringify(body),
  });
  return (await (await check(res)).json()) as T;
}

/** A Kinesis Video REST-JSON operation, e.g. restJson('/listStreams', {}). */
export async function restJson<T>(path: string, body: object): Promise<T> {
  return (await (await restRaw(path, body)).json()) as T;
}

export async function restRaw(path: string, body: object): Promise<Response> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...CONSOLE_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return check(res);
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: CONSOLE_HEADERS });
  return (await (await check(res)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  const res = await fetch(path, { credentials: 'same-origin', headers: CONSOLE_HEADERS });
  return (await check(res)).text();
}

export async function postJson<T>(path: string, body: object): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...CONSOLE_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await (await check(res)).json()) as T;
}

export interface SessionInfo {
  authMode: 'sigv4' | 'none';
  accessKeyId: string | null;
  expiresAtMs: number | null;
}

/** Base64 (as Kinesis carries record data) to bytes and back. */
export function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The stream name at the end of a Kinesis stream ARN. */
export function streamNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
