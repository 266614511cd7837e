/**
 * AWS Signature Version 4 signing for requests the agent sends, using only node:crypto, because
 * the AWS SDK's signer costs too much RSS on a 512 MB device. Owns: the canonical request, built
 * the way @smithy/signature-v4 builds it for non-S3 services; the headers a signature adds; and a
 * bounded cache of derived signing keys. Does not own: the clock (nowMs is passed in), where
 * credentials come from, or sending the request. The server-side twin is ingest-server/src/auth/sigv4.ts.
 * Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHmac } from 'node:crypto';
import { HEADERS } from './protocol.js';
import {
  SIGV4_ALGORITHM,
  SIGV4_SCOPE_TERMINATOR,
  canonicalHeaderValue,
  canonicalPath,
  canonicalQuery,
  deriveSigningKey,
  isoBasic,
  sha256Hex,
} from './sigv4-canonical.js';

/** A request about to be sent. The URL's path and query are signed as they will go on the wire. */
export interface SigV4SignableRequest {
  method: string;
  url: URL | string;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

export interface SigV4Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

export interface SigV4SignOptions {
  region: string;
  service: string;
  /** Signing time in milliseconds since the epoch, from the caller's Clock. */
  nowMs: number;
  /**
   * 'all' (the default) signs every header present except those @smithy/signature-v4 never signs
   * (user-agent, hop-by-hop, proxy-* and sec-*). A list signs those names plus host, x-amz-date
   * and, when sent, x-amz-security-token and x-amz-content-sha256.
   */
  signedHeaders?: 'all' | readonly string[];
  /** Also send x-amz-content-sha256. Kinesis does not need it, so it is off by default. */
  includeContentSha256?: boolean;
  /** Reuses derived signing keys across requests. Without one, each call derives the key again. */
  keyCache?: SigningKeyCache;
}

const ALGORITHM = SIGV4_ALGORITHM;
const SCOPE_TERMINATOR = SIGV4_SCOPE_TERMINATOR;
const AUTHORIZATION_HEADER = 'authorization';
const HOST_HEADER = 'host';
/** The signer writes these itself, so a request that is signed again never carries two of them. */
const GENERATED_HEADERS = [AUTHORIZATION_HEADER, HEADERS.amzDate, 'date'];
/** Intermediaries may rewrite these, so @smithy/signature-v4 never signs them, and neither do we. */
const UNSIGNABLE_HEADERS = new Set([
  'authorization', 'cache-control', 'connection', 'expect', 'from', 'keep-alive', 'max-forwards',
  'pragma', 'referer', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'x-amzn-trace-id',
]);
const UNSIGNABLE_PREFIX = /^(proxy-|sec-)/;

/**
 * Signs a request, returning a new header object (lower-case names) that holds the caller's
 * headers plus host, x-amz-date, x-amz-security-token (with a session token), optionally
 * x-amz-content-sha256, and authorization. The input is not modified. Throws TypeError when two
 * header names differ only in case, or when signedHeaders names a header the request lacks.
 * @example
 * const headers = signRequest({ method: 'POST', url, headers: { 'content-type': AMZ_JSON_1_1 }, body },
 *   creds, { region: 'eu-west-1', service: 'kinesis', nowMs: clock.now(), keyCache });
 */
export function signRequest(req: SigV4SignableRequest, creds: SigV4Credentials, opts: SigV4SignOptions): Record<string, string> {
  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const headers = lowerCaseHeaders(req.headers);
  for (const name of GENERATED_HEADERS) headers.delete(name);
  if (!headers.has(HOST_HEADER)) headers.set(HOST_HEADER, url.host);
  const amzDate = isoBasic(opts.nowMs);
  const shortDate = amzDate.slice(0, 8);
  headers.set(HEADERS.amzDate, amzDate);
  if (creds.sessionToken) headers.set(HEADERS.securityToken, creds.sessionToken);
  // As in @smithy/signature-v4: a hash the caller already declares (UNSIGNED-PAYLOAD, say) is signed as is.
  const payloadHash = headers.get(HEADERS.contentSha256) ?? sha256Hex(req.body);
  if (opts.includeContentSha256) headers.set(HEADERS.contentSha256, payloadHash);

  const signed = signedHeaderNames(headers, opts.signedHeaders ?? 'all');
  const canonicalHeaders = signed.map((name) => `${name}:${canonicalHeaderValue(headers.get(name) ?? '')}`);
  const canonicalRequest = [req.method, canonicalPath(url.pathname), canonicalQuery(url.searchParams), ...canonicalHeaders, '', signed.join(';'), payloadHash].join('\n');
  const scope = `${shortDate}/${opts.region}/${opts.service}/${SCOPE_TERMINATOR}`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key =
    opts.keyCache?.get(creds.secretAccessKey, shortDate, opts.region, opts.service) ??
    deriveSigningKey(creds.secretAccessKey, shortDate, opts.region, opts.service);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.set(AUTHORIZATION_HEADER, `${ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`);
  // fromEntries defines own properties, so even a header named __proto__ stays a header.
  return Object.fromEntries(headers);
}

/**
 * Derived signing keys, least recently used out first. A key depends only on the secret, the UTC
 * day, the region and the service, so a device needs one or two entries; the bound keeps key
 * rotation across many days or credentials from growing memory.
 * @example
 * const keyCache = new SigningKeyCache({ maxEntries: 4 });
 */
export class SigningKeyCache {
  readonly maxEntries: number;
  private readonly keys = new Map<string, Buffer>();

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 8;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a whole number of at least 1, not ${this.maxEntries}`);
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** The signing key for one scope, derived on a miss. shortDate is YYYYMMDD (UTC). */
  get(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
    const id = JSON.stringify([secretAccessKey, shortDate, region, service]);
    const hit = this.keys.get(id);
    // Map keeps insertion order: moving a hit to the end makes the first entry the least recently used.
    this.keys.delete(id);
    const key = hit ?? deriveSigningKey(secretAccessKey, shortDate, region, service);
    this.keys.set(id, key);
    const oldest = this.keys.keys().next();
    if (this.keys.size > this.maxEntries && !oldest.done) this.keys.delete(oldest.value);
    return key;
  }
}

function lowerCaseHeaders(input: Record<string, string>): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(input)) {
    const lower = name.toLowerCase();
    if (headers.has(lower)) throw new TypeError(`Header '${name}' is given twice, in different cases`);
    headers.set(lower, value);
  }
  return headers;
}

function signedHeaderNames(headers: ReadonlyMap<string, string>, choice: 'all' | readonly string[]): string[] {
  if (choice === 'all') return [...headers.keys()].filter((name) => !UNSIGNABLE_HEADERS.has(name) && !UNSIGNABLE_PREFIX.test(name)).sort();
  // SigV4 requires host and x-amz-date to be signed, and every x-amz-* header that is sent.
  const names = new Set<string>([HOST_HEADER, HEADERS.amzDate]);
  for (const name of [HEADERS.securityToken, HEADERS.contentSha256]) if (headers.has(name)) names.add(name);
  for (const name of choice) {
    const lower = name.toLowerCase();
    if (!headers.has(lower)) throw new TypeError(`signedHeaders names '${name}', which the request does not carry`);
    names.add(lower);
  }
  return [...names].sort();
}

