/**
 * The console's HTTP surface: the static bundle at /console and /console/*, and the few JSON
 * endpoints the AWS APIs do not cover (session, login/logout, server info, the fleet of agents).
 * Everything else the console shows comes from the ordinary AWS endpoints and /metrics.
 * Owns route schemas and which console routes are public (the bundle, session, login, logout).
 * Does not own session tokens (session.ts), fleet state (agents.ts) or the SigV4 gate.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { RivuletError } from '@rivulet/shared';
import type { SecretLookup } from '../auth/sigv4.js';
import { AgentsResponse, type AgentTracker } from './agents.js';
import { checkLogin, clearedSessionCookie, readCookie, sessionCookie, SESSION_COOKIE, type SessionSigner } from './session.js';
import type { StaticBundle } from './static-files.js';

export const CONSOLE_PREFIX = '/console';

export interface ConsoleRouteDeps {
  bundle: StaticBundle;
  signer: SessionSigner;
  agents: AgentTracker;
  authMode: 'sigv4' | 'none';
  /** Null when auth is off; then login is not needed and always succeeds. */
  lookupSecret: () => SecretLookup | null;
  info: { version: string; region: string; accountId: string; healthStreams: readonly string[] };
}

const LoginBody = Type.Object({
  accessKeyId: Type.String({ minLength: 1, maxLength: 128 }),
  secretAccessKey: Type.String({ minLength: 1, maxLength: 256 }),
});
const SessionResponse = Type.Object({
  authMode: Type.Union([Type.Literal('sigv4'), Type.Literal('none')]),
  /** The logged-in access key, or null (not logged in, or auth off). */
  accessKeyId: Type.Union([Type.String(), Type.Null()]),
  expiresAtMs: Type.Union([Type.Number(), Type.Null()]),
});
type SessionResponse = Static<typeof SessionResponse>;
const InfoResponse = Type.Object({
  version: Type.String(),
  authMode: Type.String(),
  region: Type.String(),
  accountId: Type.String(),
  principal: Type.Union([Type.String(), Type.Null()]),
  services: Type.Array(Type.String()),
  healthStreams: Type.Array(Type.String()),
});
const AwsError = Type.Object({ __type: Type.String(), message: Type.String() });

/** Public routes carry no SigV4 signature and no session (plugins/sigv4-auth.ts honours this). */
const PUBLIC = { verifyOwnCredential: () => true };

const CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): void {
  const secure = (request: FastifyRequest) => request.protocol === 'https';

  const currentSession = (request: FastifyRequest): SessionResponse => {
    if (deps.authMode === 'none') return { authMode: 'none', accessKeyId: null, expiresAtMs: null };
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = token ? deps.signer.verify(token) : null;
    const valid = session !== null && deps.lookupSecret()?.(session.accessKeyId) != null;
    return { authMode: 'sigv4', accessKeyId: valid ? session.accessKeyId : null, expiresAtMs: valid ? session.expiresAtMs : null };
  };

  app.get(`${CONSOLE_PREFIX}/api/session`, { config: PUBLIC, schema: { response: { 200: SessionResponse } } }, async (request) => currentSession(request));

  app.post<{ Body: Static<typeof LoginBody> }>(
    `${CONSOLE_PREFIX}/api/login`,
    { config: PUBLIC, schema: { body: LoginBody, response: { 200: SessionResponse, 403: AwsError } } },
    async (request, reply) => {
      const lookup = deps.lookupSecret();
      if (deps.authMode === 'none' || !lookup) return { authMode: deps.authMode, accessKeyId: null, expiresAtMs: null };
      const { accessKeyId, secretAccessKey } = request.body;
      if (!checkLogin(lookup, accessKeyId, secretAccessKey)) {
        request.log.warn({ accessKeyId }, 'console login refused');
        throw new RivuletError('CONSOLE_LOGIN_FAILED');
      }
      const { token, session } = deps.signer.issue(accessKeyId);
      reply.header('set-cookie', sessionCookie(token, deps.signer.ttlMs / 1000, secure(request)));
      request.log.info({ accessKeyId }, 'console login');
      return { authMode: 'sigv4', accessKeyId, expiresAtMs: session.expiresAtMs };
    },
  );

  app.post(`${CONSOLE_PREFIX}/api/logout`, { config: PUBLIC, schema: { response: { 200: SessionResponse } } }, async (request, reply) => {
    reply.header('set-cookie', clearedSessionCookie(secure(request)));
    return { authMode: deps.authMode, accessKeyId: null, expiresAtMs: null };
  });

  app.get(`${CONSOLE_PREFIX}/api/info`, { schema: { response: { 200: InfoResponse } } }, async (request) => ({
    ...deps.info,
    healthStreams: [...deps.info.healthStreams],
    authMode: deps.authMode,
    principal: request.principal ?? null,
    services: ['streams', 'video', 'firehose', 'analytics'],
  }));

  app.get(`${CONSOLE_PREFIX}/api/agents`, { schema: { response: { 200: AgentsResponse } } }, async () => deps.agents.snapshot());

  const serveStatic = async (path: string, reply: FastifyReply) => {
    if (path.startsWith('api/') || path === 'api') {
      throw new RivuletError('PROTOCOL_NOT_FOUND', { method: 'GET', url: `${CONSOLE_PREFIX}/${path}`.slice(0, 200) });
    }
    const asset = await deps.bundle.lookup(path);
    if (!asset) {
      const built = (await deps.bundle.table()) !== null;
      const text = built ? 'Not found\n' : 'The console is not built: run `npm run build` (it bundles ingest-server/console).\n';
      return reply.status(built ? 404 : 503).header('content-type', 'text/plain; charset=utf-8').send(text);
    }
    reply.header('content-type', asset.contentType).header('cache-control', asset.cacheControl).header('x-content-type-options', 'nosniff');
    if (asset.contentType.startsWith('text/html')) reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    return reply.send(asset.body);
  };
  app.get(CONSOLE_PREFIX, { config: PUBLIC }, async (_request, reply) => serveStatic('', reply));
  app.get<{ Params: { '*': string } }>(`${CONSOLE_PREFIX}/*`, { config: PUBLIC }, async (request, reply) => serveStatic(request.params['*'], reply));
}
