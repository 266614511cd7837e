import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { registerErrorHandler } from './errors.js';
import { registerSigV4Auth } from './sigv4-auth.js';

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  registerErrorHandler(app, 1024);
  registerSigV4Auth(app, { lookupSecret: () => 'secret', clock: new ManualClock() });
  const ownCredential = (request: { query: unknown }) => (request.query as { t?: string }).t === 'good';
  app.get('/own', { config: { verifyOwnCredential: ownCredential } }, async () => 'ok');
  app.get('/plain', async () => 'ok');
  await app.ready();
});
afterAll(() => app.close());

describe('SigV4 waiver for routes with their own credential', () => {
  it('lets an unsigned request through when the route verifies its own credential', async () => {
    const res = await app.inject({ method: 'GET', url: '/own?t=good' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('ok');
  });

  it('still demands SigV4 when the own credential does not verify', async () => {
    const res = await app.inject({ method: 'GET', url: '/own?t=bad' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
  });

  it('never waives SigV4 on a route that declares no own credential', async () => {
    const res = await app.inject({ method: 'GET', url: '/plain?t=good' });
    expect(res.statusCode).toBe(403);
  });

  it('checks a bad signature on a waiver route normally when its own credential fails', async () => {
    const res = await app.inject({ method: 'GET', url: '/own?t=bad', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00' } });
    expect(res.statusCode).toBe(403);
  });
});
