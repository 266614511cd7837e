/**
 * The web console (issue 8): the only surface other modules import. openConsole() loads the
 * session key and builds the parts; app.ts installs the session hook before the SigV4 gate
 * (so the gate sees request.consolePrincipal) and registers the routes after it.
 * The front-end source lives in ingest-server/console and is bundled into console-dist.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '@rivulet/shared';
import type { SecretLookup } from '../auth/sigv4.js';
import type { ConsoleConfig } from '../config.js';
import type { StreamsService } from '../streams/index.js';
import { loadSessionKey } from '../video/session-key.js';
import { AgentTracker } from './agents.js';
import { registerConsoleRoutes } from './routes.js';
import { CONSOLE_HEADER, readCookie, SESSION_COOKIE, SessionSigner } from './session.js';
import { StaticBundle } from './static-files.js';

export { CONSOLE_HEADER, SESSION_COOKIE } from './session.js';

/** ingest-server/console-dist, from src/console or dist/console alike. */
export const CONSOLE_DIST = join(dirname(fileURLToPath(import.meta.url)), '../../console-dist');
/** The first look at the health streams reads this far back. */
const AGENT_LOOKBACK_MS = 24 * 3600_000;

export interface ConsoleDeps {
  config: ConsoleConfig;
  dataDir: string;
  clock: Pick<Clock, 'now'>;
  streams: StreamsService;
  authMode: 'sigv4' | 'none';
  region: string;
  accountId: string;
  /** Defaults to CONSOLE_DIST. */
  bundleDir?: string;
}

export interface WebConsole {
  /** Adds the onRequest hook that turns a valid session cookie + console header into request.consolePrincipal. */
  installSessionHook(app: FastifyInstance): void;
  registerRoutes(app: FastifyInstance): void;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function openConsole(deps: ConsoleDeps): Promise<WebConsole> {
  const key = await loadSessionKey(join(deps.dataDir, 'console', 'session.key'));
  const signer = new SessionSigner({ key, clock: deps.clock, ttlMs: deps.config.sessionHours * 3600_000 });
  const agents = new AgentTracker({ streams: deps.streams, healthStreams: deps.config.healthStreams, now: () => deps.clock.now(), lookbackMs: AGENT_LOOKBACK_MS });
  const bundle = new StaticBundle(deps.bundleDir ?? CONSOLE_DIST);
  let root: FastifyInstance | null = null;
  // The SigV4 plugin decorates the app with its secret lookup; none when auth is off.
  const lookupSecret = (): SecretLookup | null => root?.sigv4LookupSecret ?? null;
  return {
    installSessionHook(app) {
      root = app;
      if (deps.authMode === 'none') return;
      app.addHook('onRequest', async (request) => {
        if (request.headers[CONSOLE_HEADER] !== '1') return;
        const token = readCookie(request.headers.cookie, SESSION_COOKIE);
        const session = token ? signer.verify(token) : null;
        // A revoked key ends its sessions: the key must still be in the store.
        if (session && lookupSecret()?.(session.accessKeyId) != null) request.consolePrincipal = session.accessKeyId;
      });
    },
    registerRoutes(app) {
      root ??= app;
      registerConsoleRoutes(app, {
        bundle,
        signer,
        agents,
        authMode: deps.authMode,
        lookupSecret,
        info: { version: packageVersion(), region: deps.region, accountId: deps.accountId, healthStreams: deps.config.healthStreams },
      });
    },
  };
}
