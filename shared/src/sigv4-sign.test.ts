import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySigV4 } from '../../ingest-server/src/auth/sigv4.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../../test/harness/ingest.js';
import { RivuletError } from './errors.js';
import { AMZ_JSON_1_1, HEADERS, TARGET_PREFIX } from './protocol.js';
import { signRequest, SigningKeyCache, type SigV4Credentials, type SigV4SignableRequest, type SigV4SignOptions } from './sigv4-sign.js';

const CREDS: SigV4Credentials = { accessKeyId: 'RIVTESTKEY1234567ABC', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SESSION: SigV4Credentials = { ...CREDS, sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDFAKE+token/with=chars' };
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0, 789);
const OPTS: SigV4SignOptions = { region: 'eu-west-1', service: 'kinesis', nowMs: NOW_MS };
const JSON_HEADERS = { [HEADERS.target]: `${TARGET_PREFIX.streams}.PutRecords`, 'content-type': AMZ_JSON_1_1 };
const BODY = JSON.stringify({ StreamName: 'telemetry', Records: [{ Data: 'AQID', PartitionKey: 'dev-1' }] });

const put = (url: string, headers: Record<string, string> = JSON_HEADERS, body: SigV4SignableRequest['body'] = BODY): SigV4SignableRequest =>
  ({ method: 'POST', url, headers, body });

/** The same request through the real AWS signer; the query goes in decoded, as the SDK holds it. */
async function smithySign(
  req: SigV4SignableRequest,
  creds: SigV4Credentials,
  opts: { applyChecksum?: boolean; unsignableHeaders?: Set<string> } = {},
): Promise<Record<string, string>> {
  const url = new URL(req.url);
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    query[name] = values.length === 1 ? (values[0] ?? '') : values;
  }
  const signer = new SignatureV4({
    service: OPTS.service, region: OPTS.region, credentials: creds, sha256: Hash.bind(null, 'sha256'), applyChecksum: opts.applyChecksum ?? false,
  });
  const request = new HttpRequest({
    method: req.method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname, query,
    headers: { host: url.host, ...req.headers }, body: req.body,
  });
  const signed = await signer.sign(request, { signingDate: new Date(NOW_MS), ...(opts.unsignableHeaders ? { unsignableHeaders: opts.unsignableHeaders } : {}) });
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** What node hands the server for the signed request: raw path and query, lower-case headers, body bytes. */
function asReceived(req: SigV4SignableRequest, headers: Record<string, string>, body = req.body) {
  const url = new URL(req.url);
  return { method: req.method, path: url.pathname, query: url.search.slice(1), headers, body: Buffer.from(body) };
}

const SPECIAL_PATH = "http://localhost:4567/streams/my stream//ü/a+b/%2F/./x!*(')~/";
const MESSY_QUERY = 'http://localhost:4567/?b=2&a=z&a=y&a=x%20y&c=&%C3%A9=%E2%9C%93&k!=v*(%27)&plus=a+b&X-Amz-Signature=skip';
const CASES: Array<[string, SigV4SignableRequest, SigV4Credentials]> = [
  ['a JSON POST to /', put('http://localhost:4567/'), CREDS],
  ['a JSON POST with a session token', put('http://localhost:4567/'), SESSION],
  ['a path with characters that need encoding', put(SPECIAL_PATH), CREDS],
  ['a query with repeated, unsorted keys and characters that need encoding', put(MESSY_QUERY), SESSION],
  ['mixed-case names, padded values and unsignable headers', put('https://kinesis.eu-west-1.amazonaws.com/', {
    'Content-Type': AMZ_JSON_1_1, 'X-Amz-Target': `${TARGET_PREFIX.streams}.ListStreams`, 'x-custom': '  a   b \t c  ', 'user-agent': 'rivulet-agent', 'proxy-authorization': 'x',
  }), CREDS],
  ['a binary body', put('http://127.0.0.1:8080/', JSON_HEADERS, new Uint8Array([0, 1, 2, 255, 254])), CREDS],
];

describe('signRequest against @smithy/signature-v4', () => {
  it.each(CASES)('produces the same headers for %s', async (_, req, creds) => {
    const ours = signRequest(req, creds, OPTS);
    const theirs = await smithySign(req, creds);
    expect(ours[HEADERS.amzDate]).toBe('20260115T120000Z');
    expect(ours.authorization).toBe(theirs.authorization);
    expect(ours).toEqual(theirs);
  });

  it('matches with x-amz-content-sha256 requested, as applyChecksum sends it', async () => {
    const ours = signRequest(put('http://localhost:4567/'), SESSION, { ...OPTS, includeContentSha256: true });
    expect(ours).toEqual(await smithySign(put('http://localhost:4567/'), SESSION, { applyChecksum: true }));
    expect(ours[HEADERS.contentSha256]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs a declared UNSIGNED-PAYLOAD as is', async () => {
    const req = put('http://localhost:4567/', { ...JSON_HEADERS, [HEADERS.contentSha256]: 'UNSIGNED-PAYLOAD' });
    expect(signRequest(req, CREDS, OPTS).authorization).toBe((await smithySign(req, CREDS)).authorization);
  });

  it('signs only the listed headers plus those SigV4 requires', async () => {
    const req = put('http://localhost:4567/', { ...JSON_HEADERS, 'x-trace': 'abc' });
    const ours = signRequest(req, SESSION, { ...OPTS, signedHeaders: ['X-Amz-Target'] });
    expect(ours.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target,');
    expect(ours.authorization).toBe((await smithySign(req, SESSION, { unsignableHeaders: new Set(['content-type', 'x-trace']) })).authorization);
  });

  it('matches the AWS SigV4 test suite vector get-vanilla', () => {
    const headers = signRequest(
      { method: 'GET', url: 'https://example.amazonaws.com/', headers: {}, body: '' },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      { region: 'us-east-1', service: 'service', nowMs: Date.UTC(2015, 7, 30, 12, 36, 0) },
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('replaces stale signing headers, keeps a given host and leaves the input alone', () => {
    const input = { ...JSON_HEADERS, Authorization: 'old', 'X-Amz-Date': '20000101T000000Z', Date: 'x', Host: 'kinesis.local' };
    const frozen = structuredClone(input);
    const headers = signRequest(put('http://10.0.0.1:4567/', input), CREDS, OPTS);
    expect(input).toEqual(frozen);
    expect(headers).toMatchObject({ host: 'kinesis.local', [HEADERS.amzDate]: '20260115T120000Z' });
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=RIVTESTKEY1234567ABC\/20260115\/eu-west-1\/kinesis\/aws4_request, /);
    expect(Object.keys(headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
    expect(headers).not.toHaveProperty('date');
  });

  it('refuses headers that differ only in case, and listed headers the request lacks', () => {
    expect(() => signRequest(put('http://h/', { 'x-a': '1', 'X-A': '2' }), CREDS, OPTS)).toThrow(TypeError);
    expect(() => signRequest(put('http://h/'), CREDS, { ...OPTS, signedHeaders: ['x-missing'] })).toThrow(/x-missing/);
  });
});

describe('signRequest against the ingest server verifier', () => {
  const lookup = (secret: string) => (id: string) => (id === CREDS.accessKeyId ? secret : null);

  it.each(CASES)('accepts %s', (_, req, creds) => {
    const headers = signRequest(req, creds, OPTS);
    expect(verifySigV4(asReceived(req, headers), lookup(CREDS.secretAccessKey), NOW_MS)).toEqual({
      accessKeyId: CREDS.accessKeyId, region: OPTS.region, service: OPTS.service,
    });
  });

  it('rejects a wrong secret with InvalidSignatureException', () => {
    const req = put('http://localhost:4567/');
    const headers = signRequest(req, { ...CREDS, secretAccessKey: `${CREDS.secretAccessKey}x` }, OPTS);
    expect(() => verifySigV4(asReceived(req, headers), lookup(CREDS.secretAccessKey), NOW_MS)).toThrow(
      expect.objectContaining({ awsType: 'InvalidSignatureException', code: 'AUTH_BAD_SIGNATURE' }),
    );
  });

  it('rejects a tampered body with InvalidSignatureException', () => {
    const req = put('http://localhost:4567/');
    const headers = signRequest(req, CREDS, OPTS);
    const verify = () => verifySigV4(asReceived(req, headers, BODY.replace('dev-1', 'dev-2')), lookup(CREDS.secretAccessKey), NOW_MS);
    expect(verify).toThrow(RivuletError);
    expect(verify).toThrow(expect.objectContaining({ awsType: 'InvalidSignatureException' }));
  });
});

describe('signRequest against a running rivulet-ingest with --auth sigv4', () => {
  const run = promisify(execFile);
  let server: IngestProcess;
  let key: SigV4Credentials;

  beforeAll(async () => {
    const dataDir = tempDir();
    const main = join(REPO_ROOT, 'ingest-server/src/main.ts');
    const created = await run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', main, 'keys', 'create', '--json', '--data-dir', dataDir], { cwd: REPO_ROOT });
    key = JSON.parse(created.stdout) as SigV4Credentials;
    server = await startIngest({ args: ['--auth', 'sigv4'], dataDir });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  const listStreams = (creds: SigV4Credentials) => {
    const req: SigV4SignableRequest = {
      method: 'POST', url: server.endpoint, body: '{}',
      headers: { [HEADERS.target]: `${TARGET_PREFIX.streams}.ListStreams`, 'content-type': AMZ_JSON_1_1 },
    };
    // The server checks the signature time against its own clock, so this test signs with the real one.
    const headers = signRequest(req, creds, { region: 'us-east-1', service: 'kinesis', nowMs: Date.now() });
    return fetch(req.url, { method: req.method, headers, body: req.body });
  };

  it('accepts a signed ListStreams with 200', async () => {
    const res = await listStreams(key);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ StreamNames: [] });
  });

  it('rejects a wrong secret with 403 InvalidSignatureException', async () => {
    const res = await listStreams({ ...key, secretAccessKey: `${key.secretAccessKey}x` });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ __type: 'InvalidSignatureException' });
  });
});

describe('SigningKeyCache', () => {
  it('signs exactly as deriving the key afresh does, and hands back the cached key on a hit', () => {
    const keyCache = new SigningKeyCache();
    const req = put('http://localhost:4567/');
    const fresh = signRequest(req, CREDS, OPTS);
    expect(signRequest(req, CREDS, { ...OPTS, keyCache })).toEqual(fresh);
    expect(signRequest(req, CREDS, { ...OPTS, keyCache })).toEqual(fresh);
    expect(keyCache.size).toBe(1);
    const first = keyCache.get(CREDS.secretAccessKey, '20260115', 'eu-west-1', 'kinesis');
    expect(keyCache.get(CREDS.secretAccessKey, '20260115', 'eu-west-1', 'kinesis')).toBe(first);
    expect(keyCache.get(CREDS.secretAccessKey, '20260115', 'eu-west-1', 'firehose')).not.toEqual(first);
  });

  it('stays within maxEntries across many days and evicts the least recently used key', () => {
    const keyCache = new SigningKeyCache({ maxEntries: 3 });
    const hot = keyCache.get(CREDS.secretAccessKey, '20260101', 'eu-west-1', 'kinesis');
    for (let day = 1; day <= 1000; day++) {
      const nowMs = Date.UTC(2026, 0, 1) + day * 86_400_000;
      const req = put('http://localhost:4567/');
      expect(signRequest(req, CREDS, { ...OPTS, nowMs, keyCache })).toEqual(signRequest(req, CREDS, { ...OPTS, nowMs }));
      expect(keyCache.get(CREDS.secretAccessKey, '20260101', 'eu-west-1', 'kinesis')).toBe(hot);
      expect(keyCache.size).toBeLessThanOrEqual(3);
    }
    expect(keyCache.size).toBe(3);
  });

  it('refuses a bound below one entry', () => {
    expect(() => new SigningKeyCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
