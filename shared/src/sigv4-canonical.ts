/**
 * The canonical forms AWS Signature Version 4 signs, shared by the agent's signer
 * (sigv4-sign.ts) and the server's verifier (ingest-server/src/auth/sigv4.ts), so both
 * canonicalize exactly alike. Pure functions over strings; no request types.
 */
import { createHash, createHmac } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_SCOPE_TERMINATOR = 'aws4_request';

/** RFC 3986 unreserved characters stay; everything else becomes %XX with upper-case hex. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The path as @smithy/signature-v4 canonicalizes it for every service but S3: drop empty and '.'
 * segments, resolve '..', then escape each already-encoded segment once more ('%20' becomes '%2520').
 */
export function canonicalPath(wirePath: string): string {
  const segments: string[] = [];
  for (const segment of wirePath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = wirePath.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && wirePath.endsWith('/') ? '/' : '';
  return `${leading}${segments.map(escapeUri).join('/')}${trailing}`;
}

/** Encode names and values, sort by name then value, and leave out any X-Amz-Signature. */
export function canonicalQuery(params: Iterable<readonly [string, string]>): string {
  return [...params]
    .filter(([name]) => name.toLowerCase() !== 'x-amz-signature')
    .map(([name, value]) => [escapeUri(name), escapeUri(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Line breaks turned to spaces, runs of spaces and tabs collapsed, one space trimmed each end, as the SDK signs it. */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  let key = hmacSha256(`AWS4${secretAccessKey}`, shortDate);
  for (const part of [region, service, SIGV4_SCOPE_TERMINATOR]) key = hmacSha256(key, part);
  return key;
}

/** Milliseconds since the epoch as 20260115T120000Z (X-Amz-Date, ISO 8601 basic format). */
export function isoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
