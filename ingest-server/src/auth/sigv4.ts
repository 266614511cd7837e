/**
 * AWS Signature Version 4 verification, as a pure function of the request, a secret lookup and
 * the current time. Owns: reading the Authorization header or the presigned query parameters,
 * rebuilding the canonical request the way @smithy/signature-v4 builds it for non-S3 services,
 * and comparing signatures in constant time. Does not own where secrets live (lookupSecret),
 * the clock (nowMs is passed in), or how a RivuletError reaches the wire.
 * Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { timingSafeEqual } from 'node:crypto';
import {
  HEADERS,
  RivuletError,
  SIGV4_ALGORITHM,
  SIGV4_SCOPE_TERMINATOR,
  canonicalHeaderValue,
  canonicalPath,
  canonicalQuery,
  deriveSigningKey,
  hmacSha256,
  isoBasic,
  sha256Hex,
} from '@rivulet/shared';

/** The parts of an HTTP request that a signature covers, as they arrived on the wire. */
export interface SigV4Request {
  method: string;
  /** Raw path as sent (still percent-encoded), without the query. */
  path: string;
  /** Raw query string without the leading '?'. */
  query: string;
  /** Lower-case header names, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /**
   * The route streams its body (PutMedia) and `body` is empty: such a request verifies only when
   * signed with x-amz-content-sha256: UNSIGNED-PAYLOAD.
   */
  streamedBody?: boolean;
}

/** Who signed the request, and for which scope. */
export interface SigV4Principal {
  accessKeyId: string;
  region: string;
  service: string;
}

/** Returns the secret for an access key id, or null when it is unknown or revoked. */
export type SecretLookup = (accessKeyId: string) => string | null;

const ALGORITHM = SIGV4_ALGORITHM;
const SCOPE_TERMINATOR = SIGV4_SCOPE_TERMINATOR;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const AUTHORIZATION_HEADER = 'authorization';
const DATE_HEADER = 'date';
const HOST_HEADER = 'host';
/** Presigned-URL query parameters (SigV4 query-string auth). */
const QUERY = {
  algorithm: 'X-Amz-Algorithm', credential: 'X-Amz-Credential', date: 'X-Amz-Date',
  expires: 'X-Amz-Expires', signedHeaders: 'X-Amz-SignedHeaders', signature: 'X-Amz-Signature',
} as const;

/** SigV4: the request time may be at most 15 minutes away from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** SigV4: a presigned URL may live at most seven days. */
export const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 60 * 60;

type QueryParam = [name: string, value: string];

interface ParsedAuth {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** The request time in ISO 8601 basic format, as it enters the string to sign. */
  amzDate: string;
  amzDateMs: number;
  /** Set for presigned URLs only. */
  expiresS: number | null;
}

/**
 * Verifies a SigV4-signed request and returns who signed it; throws RivuletError
 * (AUTH_MISSING, AUTH_INCOMPLETE, AUTH_EXPIRED, AUTH_UNKNOWN_KEY, AUTH_BAD_SIGNATURE) otherwise.
 * @example
 * const { accessKeyId } = verifySigV4(req, (id) => store.secretFor(id), clock.now());
 */
export function verifySigV4(req: SigV4Request, lookupSecret: SecretLookup, nowMs: number): SigV4Principal {
  const params = parseQuery(req.query);
  const authorization = headerValue(req.headers, AUTHORIZATION_HEADER)?.trim() || undefined;
  const presigned = params.some(([name]) => name === QUERY.algorithm);
  if (authorization === undefined && !presigned) throw new RivuletError('AUTH_MISSING');
  if (authorization !== undefined && presigned) {
    throw incomplete('Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.');
  }
  const auth = authorization !== undefined ? parseAuthorizationHeader(authorization, req.headers) : parsePresigned(params);
  checkTime(auth, nowMs);

  const secret = lookupSecret(auth.accessKeyId);
  if (secret === null) throw new RivuletError('AUTH_UNKNOWN_KEY');

  const canonicalRequest = [
    req.method,
    canonicalPath(req.path),
    canonicalQuery(params),
    ...auth.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(signedHeaderValue(req.headers, name))}`),
    '',
    auth.signedHeaders.join(';'),
    payloadHash(req, params),
  ].join('\n');
  const scope = `${auth.shortDate}/${auth.region}/${auth.service}/${SCOPE_TERMINATOR}`;
  const stringToSign = [ALGORITHM, auth.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = hmacSha256(deriveSigningKey(secret, auth.shortDate, auth.region, auth.service), stringToSign);

  if (!signatureMatches(expected, auth.signature)) throw new RivuletError('AUTH_BAD_SIGNATURE');
  return { accessKeyId: auth.accessKeyId, region: auth.region, service: auth.service };
}

function parseAuthorizationHeader(value: string, headers: SigV4Request['headers']): ParsedAuth {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${clip(algorithm)}'.`);
  const fields = new Map<string, string>();
  for (const part of value.slice(algorithm.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const amzDateHeader = headerValue(headers, HEADERS.amzDate);
  const amzDate = amzDateHeader ?? headerValue(headers, DATE_HEADER);
  const missing: string[] = [];
  for (const [name, got] of [['Credential', credential], ['SignedHeaders', signedHeaders], ['Signature', signature]] as const) {
    if (!got) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  if (amzDate === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (!credential || !signedHeaders || !signature || amzDate === undefined) throw incomplete(missing.join(' '));
  return buildAuth(credential, signedHeaders, signature, parseRequestDate(amzDate, amzDateHeader === undefined), null);
}

function parsePresigned(params: readonly QueryParam[]): ParsedAuth {
  const get = (name: string) => params.find(([n]) => n === name)?.[1];
  const [algorithm, credential, date, expires, signedHeaders, signature] = [
    get(QUERY.algorithm), get(QUERY.credential), get(QUERY.date), get(QUERY.expires), get(QUERY.signedHeaders), get(QUERY.signature),
  ];
  if (!algorithm || !credential || !date || !expires || !signedHeaders || !signature) {
    throw incomplete(`Query-string authentication version 4 requires the ${Object.values(QUERY).join(', ')} parameters.`);
  }
  if (algorithm !== ALGORITHM) throw incomplete(`X-Amz-Algorithm only supports "${ALGORITHM}", not '${clip(algorithm)}'.`);
  const expiresS = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresS >= 1 && expiresS <= MAX_PRESIGNED_EXPIRES_S)) {
    throw incomplete(`X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_S}.`);
  }
  return buildAuth(credential, signedHeaders, signature, parseRequestDate(date, false), expiresS);
}

type RequestDate = { amzDate: string; ms: number };

function buildAuth(credential: string, signedHeaderList: string, signature: string, date: RequestDate, expiresS: number | null): ParsedAuth {
  const parts = credential.split('/');
  const [accessKeyId, shortDate, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !shortDate || !region || !service || terminator === undefined) {
    throw incomplete("Credential should be of the form 'ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request'.");
  }
  if (terminator !== SCOPE_TERMINATOR) {
    throw incomplete(`Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${clip(terminator)}'.`);
  }
  if (shortDate !== date.amzDate.slice(0, 8)) {
    throw incomplete(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${clip(shortDate)}' != '${date.amzDate.slice(0, 8)}', from '${date.amzDate}'.`,
    );
  }
  const signedHeaders = signedHeaderList.split(';').map((h) => h.trim().toLowerCase());
  // AWS refuses a signature that does not cover the Host header, so it cannot be replayed elsewhere.
  if (!signedHeaders.includes(HOST_HEADER) && !signedHeaders.includes(':authority')) {
    throw incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return { accessKeyId, shortDate, region, service, signedHeaders, signature, amzDate: date.amzDate, amzDateMs: date.ms, expiresS };
}

/** X-Amz-Date is ISO 8601 basic format; a plain Date header may also be an HTTP-date. */
function parseRequestDate(value: string, allowHttpDate: boolean): RequestDate {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    if (isoBasic(ms) === value.trim()) return { amzDate: value.trim(), ms };
  } else if (allowHttpDate) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return { amzDate: isoBasic(ms), ms };
  }
  throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${clip(value)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
}

/** Header auth allows 15 minutes of skew either way; a presigned URL lives X-Amz-Expires seconds. */
function checkTime(auth: ParsedAuth, nowMs: number): void {
  const now = isoBasic(nowMs);
  let message: string | undefined;
  if (auth.amzDateMs - nowMs > MAX_CLOCK_SKEW_MS) {
    message = `${auth.amzDate} is still later than ${isoBasic(nowMs + MAX_CLOCK_SKEW_MS)} (${now} + 15 min.)`;
  } else if (auth.expiresS !== null && nowMs > auth.amzDateMs + auth.expiresS * 1000) {
    message = `presigned URL from ${auth.amzDate} valid for ${auth.expiresS} s has expired at ${now}`;
  } else if (auth.expiresS === null && nowMs - auth.amzDateMs > MAX_CLOCK_SKEW_MS) {
    message = `${auth.amzDate} is now earlier than ${isoBasic(nowMs - MAX_CLOCK_SKEW_MS)} (${now} - 15 min.)`;
  }
  if (message !== undefined) throw new RivuletError('AUTH_EXPIRED', { message });
}

/**
 * Splits and decodes the raw query. '+' is read as a space, as fastify's query parser reads it,
 * so the signature covers the values the handlers will see. SDK signers never send a bare '+'.
 */
function parseQuery(raw: string): QueryParam[] {
  const params: QueryParam[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    params.push(eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))]);
  }
  return params;
}

function decode(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Malformed escapes are kept literally; they re-encode as %25.. and simply fail to match.
    return spaced;
  }
}

/**
 * The payload hash that enters the canonical request. A client may declare UNSIGNED-PAYLOAD
 * (the body is then not covered); any other x-amz-content-sha256 claim is ignored in favour of
 * the real hash, so a claim that does not match the body cannot verify.
 */
function payloadHash(req: SigV4Request, params: readonly QueryParam[]): string {
  const claimed =
    headerValue(req.headers, HEADERS.contentSha256) ?? params.find(([name]) => name.toLowerCase() === HEADERS.contentSha256)?.[1];
  if (claimed === UNSIGNED_PAYLOAD) return UNSIGNED_PAYLOAD;
  // Hashing a streamed body would mean holding all of it before the first byte is handled.
  if (req.streamedBody === true) throw incomplete(`This operation streams its body: sign it with ${HEADERS.contentSha256}: ${UNSIGNED_PAYLOAD}.`);
  return sha256Hex(req.body);
}

function signatureMatches(expected: Buffer, provided: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(provided)) return false;
  return timingSafeEqual(expected, Buffer.from(provided, 'hex'));
}

/** HTTP/2 clients may send only :authority where the signer saw a Host header. */
function signedHeaderValue(headers: SigV4Request['headers'], name: string): string {
  return headerValue(headers, name) ?? (name === HOST_HEADER ? headerValue(headers, ':authority') : undefined) ?? '';
}

function headerValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function incomplete(message: string): RivuletError {
  return new RivuletError('AUTH_INCOMPLETE', { message });
}

/** Echoed client input is cut short so error bodies stay small. */
function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
