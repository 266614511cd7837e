/**
 * Console login sessions: an HMAC-SHA256-signed, expiring token carried in an HttpOnly,
 * SameSite=Strict cookie. Owns the token format, the cookie header text and the check of a
 * login against the credentials (through a SecretLookup). Does not own where the key comes
 * from (a per-data-dir key file, loaded by index.ts) nor the SigV4 gate (plugins/sigv4-auth.ts),
 * which accepts a request carrying a verified session and the console header.
 *
 * Token: base64url(JSON {k: accessKeyId, e: expiresAtMs}) "." base64url(HMAC(key, payload)).
 * A token is good only while it has not expired AND its access key is still in the store, so
 * revoking a key (`rivulet-ingest keys revoke`) ends its console sessions too.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@rivulet/shared';
import type { SecretLookup } from '../auth/sigv4.js';

export const SESSION_COOKIE = 'rivulet_console';
/** Requests authenticated by the session cookie must carry this header (a cross-site form cannot set it). */
export const CONSOLE_HEADER = 'x-rivulet-console';

export interface ConsoleSession {
  accessKeyId: string;
  expiresAtMs: number;
}

export interface SessionSignerOptions {
  key: Buffer;
  clock: Pick<Clock, 'now'>;
  ttlMs: number;
}

export class SessionSigner {
  constructor(private readonly opts: SessionSignerOptions) {}

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  issue(accessKeyId: string): { token: string; session: ConsoleSession } {
    const session = { accessKeyId, expiresAtMs: this.opts.clock.now() + this.opts.ttlMs };
    const payload = Buffer.from(JSON.stringify({ k: session.accessKeyId, e: session.expiresAtMs })).toString('base64url');
    return { token: `${payload}.${this.mac(payload)}`, session };
  }

  /** The session a token proves, or null when it is malformed, tampered with or expired. */
  verify(token: string): ConsoleSession | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 1024) return null;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const { k, e } = (parsed ?? {}) as { k?: unknown; e?: unknown };
    if (typeof k !== 'string' || typeof e !== 'number') return null;
    if (e <= this.opts.clock.now()) return null;
    return { accessKeyId: k, expiresAtMs: e };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.opts.key).update(payload).digest('base64url');
  }
}

/** Compares the given secret with the stored one in constant time; unknown and revoked keys fail. */
export function checkLogin(lookupSecret: SecretLookup, accessKeyId: string, secretAccessKey: string): boolean {
  const stored = lookupSecret(accessKeyId);
  if (stored === null) return false;
  const a = Buffer.from(stored);
  const b = Buffer.from(secretAccessKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Path=/ because the console calls the AWS endpoints (POST /) and /metrics with the cookie. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${Math.floor(maxAgeSeconds)}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}
