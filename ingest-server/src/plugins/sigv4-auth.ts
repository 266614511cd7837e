/**
 * The SigV4 gate: a preHandler hook that verifies every request on the instance it is added to
 * and records the signer as request.principal. Owns the mapping from a Fastify request to the
 * verifier's input, and the one stand-in for a signature: a console session that the console's
 * hook (console/index.ts) verified into request.consolePrincipal. Does not own the verification
 * rules (auth/sigv4.ts), where secrets come from (opts.lookupSecret), or the error body (the
 * app's error handler renders RivuletError).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RivuletError, type Clock } from '@rivulet/shared';
import { verifySigV4, type SecretLookup, type SigV4Request } from '../auth/sigv4.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes as received; set by the JSON content parser, absent for bodiless requests. */
    rawBody?: Buffer;
    /** The access key id that signed this request, set once SigV4 verification passes. */
    principal?: string;
    /**
     * Set by the console's session hook (console/index.ts) for a request carrying a valid session
     * cookie and the header `x-rivulet-console: 1`; such a request needs no signature.
     */
    consolePrincipal?: string;
  }
  interface FastifyInstance {
    /** The secret lookup this gate verifies with, for the console's login (absent when auth is off). */
    sigv4LookupSecret?: SecretLookup;
  }
  interface FastifyContextConfig {
    /**
     * A route whose requests carry their own credential (an HLS session token) names its check
     * here; SigV4 is waived for a request only when this returns true.
     */
    verifyOwnCredential?: (request: FastifyRequest) => boolean;
    /** The route hands its body through as a stream (PutMedia): only UNSIGNED-PAYLOAD verifies. */
    streamedBody?: boolean;
  }
}

export interface SigV4AuthOptions {
  lookupSecret: SecretLookup;
  clock: Pick<Clock, 'now'>;
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * Adds the hook to `app`. It runs at preHandler because the signature covers the body, which
 * the content parser has only read by then.
 * @example
 * registerSigV4Auth(app, { lookupSecret: (id) => credentials.secretFor(id), clock: deps.clock });
 */
export function registerSigV4Auth(app: FastifyInstance, opts: SigV4AuthOptions): void {
  const ownCredential = new WeakSet<FastifyRequest>();
  if (!app.hasDecorator('sigv4LookupSecret')) app.decorate('sigv4LookupSecret', opts.lookupSecret);
  // Refuse unsigned requests before their bodies are read and parsed.
  app.addHook('onRequest', async (request) => {
    if (request.consolePrincipal !== undefined) {
      ownCredential.add(request);
      request.principal = request.consolePrincipal;
      return;
    }
    if (request.routeOptions.config.verifyOwnCredential?.(request) === true) {
      ownCredential.add(request);
      return;
    }
    const url = request.raw.url ?? '';
    if (request.headers.authorization === undefined && !/[?&]X-Amz-Algorithm=/i.test(url)) {
      throw new RivuletError('AUTH_MISSING');
    }
  });
  app.addHook('preHandler', async (request) => {
    if (ownCredential.has(request)) return;
    const { accessKeyId } = verifySigV4(toSigV4Request(request), opts.lookupSecret, opts.clock.now());
    request.principal = accessKeyId;
  });
}

/** Uses the URL exactly as it arrived: the signature covers the encoded bytes, not a parse of them. */
function toSigV4Request(request: FastifyRequest): SigV4Request {
  // An absolute-form target (a request sent through a proxy) carries scheme and authority first.
  const url = (request.raw.url ?? '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '');
  const q = url.indexOf('?');
  return {
    method: request.raw.method ?? request.method,
    path: (q < 0 ? url : url.slice(0, q)) || '/',
    query: q < 0 ? '' : url.slice(q + 1),
    headers: request.headers,
    body: request.rawBody ?? EMPTY_BODY,
    streamedBody: request.routeOptions.config.streamedBody === true,
  };
}
