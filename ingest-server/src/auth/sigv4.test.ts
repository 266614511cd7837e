import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { verifySigV4, type SigV4Request } from './sigv4.js';

const ACCESS_KEY_ID = 'RIVTESTKEY1234567ABC';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const lookup = (id: string) => (id === ACCESS_KEY_ID ? SECRET : null);

interface SignOptions {
  secret?: string;
  signingDate?: Date;
  applyChecksum?: boolean;
  unsignableHeaders?: Set<string>;
}

interface Unsigned {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

function signer(opts: SignOptions): SignatureV4 {
  return new SignatureV4({
    service: 'kinesis',
    region: 'eu-west-1',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: opts.secret ?? SECRET },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: opts.applyChecksum ?? true,
  });
}

function toHttpRequest(input: Unsigned): HttpRequest {
  return new HttpRequest({
    method: input.method ?? 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 4567,
    path: input.path ?? '/',
    query: input.query ?? {},
    headers: { host: 'localhost:4567', ...input.headers },
    ...(input.body !== undefined ? { body: input.body } : {}),
  });
}

/** The query as the SDK's HTTP handlers put it on the wire (buildQueryString: escapeUri, keys sorted). */
function wireQuery(query: Record<string, string | string[] | null>): string {
  const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(query)
    .sort()
    .flatMap((name) => [query[name] ?? []].flat().map((value) => `${escape(name)}=${escape(value)}`))
    .join('&');
}

/** What node hands the server: lower-case header names, the raw path and query, the body bytes. */
function asReceived(signed: HttpRequest, body: string | undefined): SigV4Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value.trim();
  return { method: signed.method, path: signed.path, query: wireQuery(signed.query), headers, body: Buffer.from(body ?? '') };
}

async function signed(input: Unsigned = {}, opts: SignOptions = {}): Promise<SigV4Request> {
  const body = input.body ?? (input.method === 'GET' ? undefined : '{"StreamName":"telemetry","Data":"aGk=","PartitionKey":"p"}');
  const request = toHttpRequest({
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecord' },
    ...input,
    ...(body !== undefined ? { body } : {}),
  });
  const out = await signer(opts).sign(request, {
    signingDate: opts.signingDate ?? new Date(NOW_MS),
    ...(opts.unsignableHeaders ? { unsignableHeaders: opts.unsignableHeaders } : {}),
  });
  return asReceived(out as HttpRequest, body);
}

async function presigned(input: Unsigned = {}, opts: SignOptions & { expiresIn?: number } = {}): Promise<SigV4Request> {
  const request = toHttpRequest({ method: 'GET', path: '/hls/cam%201/index.m3u8', ...input });
  const out = await signer(opts).presign(request, { signingDate: opts.signingDate ?? new Date(NOW_MS), expiresIn: opts.expiresIn ?? 300 });
  return asReceived(out as HttpRequest, undefined);
}

function failure(req: SigV4Request, nowMs = NOW_MS, lookupSecret: (id: string) => string | null = lookup): RivuletError {
  try {
    verifySigV4(req, lookupSecret, nowMs);
  } catch (e) {
    if (e instanceof RivuletError) return e;
    throw e;
  }
  throw new Error('expected verification to fail');
}

describe('verifySigV4 with header auth', () => {
  it('accepts a request signed by @smithy/signature-v4 and returns the signer and scope', async () => {
    expect(verifySigV4(await signed(), lookup, NOW_MS)).toEqual({ accessKeyId: ACCESS_KEY_ID, region: 'eu-west-1', service: 'kinesis' });
  });

  it('accepts a request signed without x-amz-content-sha256 by hashing the body', async () => {
    const req = await signed({}, { applyChecksum: false });
    expect(req.headers['x-amz-content-sha256']).toBeUndefined();
    expect(verifySigV4(req, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('returns InvalidSignatureException when the secret is wrong', async () => {
    const e = failure(await signed({}, { secret: 'not-the-secret' }));
    expect(e.code).toBe('AUTH_BAD_SIGNATURE');
    expect(e.awsType).toBe('InvalidSignatureException');
    expect(e.status).toBe(403);
  });

  it('rejects a body changed after signing, with or without a content hash header', async () => {
    for (const applyChecksum of [true, false]) {
      const req = await signed({}, { applyChecksum });
      req.body = Buffer.from(req.body.toString().replace('telemetry', 'telemetrx'));
      expect(failure(req).code).toBe('AUTH_BAD_SIGNATURE');
    }
  });

  it('rejects an x-amz-content-sha256 claim that does not match the body', async () => {
    const fake = 'a'.repeat(64);
    const req = await signed({ headers: { 'x-amz-content-sha256': fake } });
    expect(failure(req).code).toBe('AUTH_BAD_SIGNATURE');
  });

  it('accepts UNSIGNED-PAYLOAD, leaving the body outside the signature', async () => {
    const req = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    req.body = Buffer.from('anything');
    expect(verifySigV4(req, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('verifies a streamed body (PutMedia) without its bytes only when signed UNSIGNED-PAYLOAD', async () => {
    const unsigned = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(verifySigV4({ ...unsigned, body: Buffer.alloc(0), streamedBody: true }, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
    for (const applyChecksum of [true, false]) {
      const hashed = await signed({}, { applyChecksum });
      const e = failure({ ...hashed, body: Buffer.alloc(0), streamedBody: true });
      expect(e.code).toBe('AUTH_INCOMPLETE');
      expect(e.message).toMatch(/UNSIGNED-PAYLOAD/);
    }
  });

  it('rejects a signed header changed after signing', async () => {
    const req = await signed();
    req.headers['x-amz-target'] = 'Kinesis_20131202.DeleteStream';
    expect(failure(req).code).toBe('AUTH_BAD_SIGNATURE');
  });

  it('canonicalizes header values the way the signer does: runs of spaces collapsed', async () => {
    const req = await signed({ headers: { 'x-rivulet-note': 'two   spaces\tand tab' } });
    expect(verifySigV4(req, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('reads a signed Host from :authority when an HTTP/2 client sent no host header', async () => {
    const original = await signed();
    const { host, ...headers } = original.headers;
    const req = { ...original, headers: { ...headers, ':authority': host } };
    expect(verifySigV4(req, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('returns UnrecognizedClientException for an unknown or revoked access key', async () => {
    const e = failure(await signed(), NOW_MS, () => null);
    expect(e.code).toBe('AUTH_UNKNOWN_KEY');
    expect(e.awsType).toBe('UnrecognizedClientException');
  });

  it('returns MissingAuthenticationTokenException when there is no Authorization header', async () => {
    const req = await signed();
    delete req.headers.authorization;
    const e = failure(req);
    expect(e.code).toBe('AUTH_MISSING');
    expect(e.awsType).toBe('MissingAuthenticationTokenException');
  });

  it('returns IncompleteSignatureException naming each missing Authorization part', async () => {
    const req = await signed();
    req.headers.authorization = 'AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date';
    const e = failure(req);
    expect(e.code).toBe('AUTH_INCOMPLETE');
    expect(e.message).toContain("Authorization header requires 'Credential' parameter.");
    expect(e.message).toContain("Authorization header requires 'Signature' parameter.");
    expect(e.message).not.toContain("'SignedHeaders'");
  });

  it('rejects another algorithm, a bad credential scope and a missing date as incomplete', async () => {
    const req = await signed();
    const auth = String(req.headers.authorization);
    const cases: Array<[Partial<SigV4Request['headers']>, string]> = [
      [{ authorization: auth.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256') }, "Unsupported AWS 'algorithm'"],
      [{ authorization: auth.replace('/aws4_request', '/aws5_request') }, "valid terminator: 'aws4_request'"],
      [{ authorization: auth.replace('/20260115/', '/20260114/') }, 'Date in Credential scope does not match'],
      [{ authorization: auth.replace(/Credential=[^,]*/, 'Credential=RIVTESTKEY1234567ABC/20260115') }, "'ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request'"],
      [{ 'x-amz-date': undefined }, "either a 'X-Amz-Date' or a 'Date' header"],
      [{ 'x-amz-date': '2026-01-15T12:00:00Z' }, "ISO-8601 'basic format'"],
    ];
    for (const [headers, message] of cases) {
      const e = failure({ ...req, headers: { ...req.headers, ...headers } });
      expect(e.code, message).toBe('AUTH_INCOMPLETE');
      expect(e.message).toContain(message);
    }
  });

  it('refuses a signature that does not cover the Host header', async () => {
    const e = failure(await signed({}, { unsignableHeaders: new Set(['host']) }));
    expect(e.code).toBe('AUTH_INCOMPLETE');
    expect(e.message).toContain("'Host'");
  });

  it('accepts a request 15 minutes old and returns AUTH_EXPIRED past that, either way in time', async () => {
    const fifteenMin = 15 * 60 * 1000;
    expect(verifySigV4(await signed({}, { signingDate: new Date(NOW_MS - fifteenMin) }), lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
    const old = failure(await signed({}, { signingDate: new Date(NOW_MS - fifteenMin - 1000) }));
    expect(old.code).toBe('AUTH_EXPIRED');
    expect(old.awsType).toBe('InvalidSignatureException');
    expect(old.message).toBe('Signature expired: 20260115T114459Z is now earlier than 20260115T114500Z (20260115T120000Z - 15 min.)');
    const future = failure(await signed({}, { signingDate: new Date(NOW_MS + fifteenMin + 1000) }));
    expect(future.code).toBe('AUTH_EXPIRED');
    expect(future.message).toContain('is still later than 20260115T121500Z');
  });
});

describe('verifySigV4 canonicalization of paths and query strings', () => {
  const special = {
    'name with space': 'value with space',
    plus: 'a+b',
    reserved: "!'()*;:@&=$,/?#[]",
    unreserved: 'AZaz09-_.~',
    unicode: 'ünïcødé €',
    empty: '',
    repeated: ['zeta', 'alpha', 'Alpha'],
  };

  it('accepts a signed GET whose query holds spaces, reserved, unicode and repeated parameters', async () => {
    const req = await signed({ method: 'GET', path: '/streams', query: special });
    expect(req.query).toContain('reserved=%21%27%28%29%2A%3B%3A%40%26%3D%24%2C%2F%3F%23%5B%5D');
    expect(verifySigV4(req, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('accepts the same query reordered and with spaces sent as "+" (form encoding)', async () => {
    const req = await signed({ method: 'GET', path: '/streams', query: { q: 'a b', r: 'x' } });
    expect(verifySigV4({ ...req, query: 'r=x&q=a+b' }, lookup, NOW_MS).accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('rejects a query value changed after signing', async () => {
    const req = await signed({ method: 'GET', path: '/streams', query: special });
    expect(failure({ ...req, query: req.query.replace('zeta', 'zetb') }).code).toBe('AUTH_BAD_SIGNATURE');
    expect(failure({ ...req, query: `${req.query}&extra=1` }).code).toBe('AUTH_BAD_SIGNATURE');
  });

  it('double-encodes the path as the SDK does for non-S3 services, after resolving dot segments', async () => {
    for (const path of ['/hls/cam%201/seg%2Fa.ts', "/a/b!c'd(e)*", '/a//b/./c/../d/']) {
      const req = await signed({ method: 'GET', path });
      expect(verifySigV4(req, lookup, NOW_MS).accessKeyId, path).toBe(ACCESS_KEY_ID);
    }
    const req = await signed({ method: 'GET', path: '/hls/cam%201/index.m3u8' });
    expect(failure({ ...req, path: '/hls/cam%202/index.m3u8' }).code).toBe('AUTH_BAD_SIGNATURE');
  });
});

describe('verifySigV4 with presigned URLs', () => {
  it('accepts a GET URL presigned by @smithy/signature-v4', async () => {
    const req = await presigned({ query: { token: 'a b+c/d' } });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.query).toContain('X-Amz-Signature=');
    expect(verifySigV4(req, lookup, NOW_MS)).toEqual({ accessKeyId: ACCESS_KEY_ID, region: 'eu-west-1', service: 'kinesis' });
  });

  it('rejects a presigned URL whose path, query or expiry was tampered with', async () => {
    const req = await presigned({ query: { token: 'abc' } });
    expect(failure({ ...req, path: '/hls/cam%202/index.m3u8' }).code).toBe('AUTH_BAD_SIGNATURE');
    expect(failure({ ...req, query: req.query.replace('token=abc', 'token=abd') }).code).toBe('AUTH_BAD_SIGNATURE');
    expect(failure({ ...req, query: req.query.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000') }).code).toBe('AUTH_BAD_SIGNATURE');
  });

  it('returns AUTH_EXPIRED once X-Amz-Expires has passed', async () => {
    const req = await presigned({}, { expiresIn: 60 });
    expect(verifySigV4(req, lookup, NOW_MS + 60_000).accessKeyId).toBe(ACCESS_KEY_ID);
    const e = failure(req, NOW_MS + 61_000);
    expect(e.code).toBe('AUTH_EXPIRED');
    expect(e.message).toContain('has expired');
  });

  it('rejects a presigned URL missing a parameter, or also carrying an Authorization header', async () => {
    const req = await presigned();
    const missing = failure({ ...req, query: req.query.replace(/X-Amz-Expires=\d+&?/, '') });
    expect(missing.code).toBe('AUTH_INCOMPLETE');
    expect(missing.message).toContain('X-Amz-Expires');
    const both = failure({ ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } });
    expect(both.message).toContain('Only one auth mechanism allowed');
  });

  it('returns UnrecognizedClientException for a presigned URL from an unknown key', async () => {
    const req = await presigned();
    expect(() => verifySigV4(req, () => null, NOW_MS)).toThrowError(/security token included in the request is invalid/);
  });
});
