import { describe, expect, it } from 'vitest';
import { checkLogin, clearedSessionCookie, readCookie, sessionCookie, SessionSigner } from './session.js';

const key = Buffer.alloc(32, 7);
function signerAt(nowMs: { value: number }, ttlMs = 60_000) {
  return new SessionSigner({ key, clock: { now: () => nowMs.value }, ttlMs });
}

describe('console sessions', () => {
  it('verifies a token it issued, until it expires', () => {
    const now = { value: 1_000_000 };
    const signer = signerAt(now);
    const { token, session } = signer.issue('AKIDEXAMPLE');
    expect(session).toEqual({ accessKeyId: 'AKIDEXAMPLE', expiresAtMs: 1_060_000 });
    expect(signer.verify(token)).toEqual(session);
    now.value = 1_059_999;
    expect(signer.verify(token)).not.toBeNull();
    now.value = 1_060_000;
    expect(signer.verify(token)).toBeNull();
  });

  it('refuses a token whose payload was changed (another key id, a later expiry)', () => {
    const now = { value: 0 };
    const signer = signerAt(now);
    const { token } = signer.issue('AKIDEXAMPLE');
    const [, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ k: 'AKIDOTHER', e: 9e15 })).toString('base64url');
    expect(signer.verify(`${forged}.${mac}`)).toBeNull();
    const flipped = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    expect(signer.verify(flipped)).toBeNull();
  });

  it('refuses a token signed with another key', () => {
    const now = { value: 0 };
    const other = new SessionSigner({ key: Buffer.alloc(32, 8), clock: { now: () => 0 }, ttlMs: 60_000 });
    expect(signerAt(now).verify(other.issue('AKIDEXAMPLE').token)).toBeNull();
  });

  it('refuses malformed tokens without throwing', () => {
    const signer = signerAt({ value: 0 });
    for (const bad of ['', '.', 'abc', 'abc.', '.abc', 'a.b.c', '%%%.###', 'x'.repeat(5000)]) expect(signer.verify(bad)).toBeNull();
  });

  it('checks a login against the credential store in constant time, refusing unknown keys', () => {
    const lookup = (id: string) => (id === 'AKID1' ? 'secret-one' : null);
    expect(checkLogin(lookup, 'AKID1', 'secret-one')).toBe(true);
    expect(checkLogin(lookup, 'AKID1', 'secret-onE')).toBe(false);
    expect(checkLogin(lookup, 'AKID1', 'secret-one-longer')).toBe(false);
    expect(checkLogin(lookup, 'AKID2', 'secret-one')).toBe(false);
  });

  it('writes an HttpOnly, SameSite=Strict cookie and reads it back from a Cookie header', () => {
    const cookie = sessionCookie('tok.en', 3600, false);
    expect(cookie).toBe('rivulet_console=tok.en; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict');
    expect(sessionCookie('t', 1, true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toMatch(/^rivulet_console=; .*Max-Age=0/);
    expect(readCookie('a=1; rivulet_console=tok.en; b=2', 'rivulet_console')).toBe('tok.en');
    expect(readCookie('xrivulet_console=1', 'rivulet_console')).toBeUndefined();
    expect(readCookie(undefined, 'rivulet_console')).toBeUndefined();
  });
});
