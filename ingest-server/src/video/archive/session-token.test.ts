import { describe, expect, it } from 'vitest';
import { signSessionToken, verifySessionToken, type HlsSession } from './session-token.js';

const key = Buffer.alloc(32, 7);
const session: HlsSession = {
  streamName: 'cam',
  mode: 'ON_DEMAND',
  kind: 'PRODUCER_TIMESTAMP',
  container: 'MPEG_TS',
  startMs: 1000,
  endMs: 5000,
  originMs: 1000,
  createdMs: 0,
  expiresMs: 300_000,
  maxFragments: 1000,
  discontinuity: 'ALWAYS',
  displayTimestamp: false,
  bandwidthBps: 1_000_000,
};

describe('HLS session tokens', () => {
  it('round-trips a session while it has not expired', () => {
    const token = signSessionToken(session, key);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifySessionToken(token, key, 299_999)).toEqual({ ok: true, session });
  });

  it('refuses an expired token', () => {
    expect(verifySessionToken(signSessionToken(session, key), key, 300_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token signed with another key or altered', () => {
    const token = signSessionToken(session, key);
    expect(verifySessionToken(token, Buffer.alloc(32, 8), 0)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const forged = signSessionToken({ ...session, streamName: 'other' }, Buffer.alloc(32, 9));
    const spliced = `${forged.split('.')[0]}.${token.split('.')[1]}`;
    expect(verifySessionToken(spliced, key, 0)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses garbage without throwing', () => {
    for (const junk of ['', '.', 'abc', 'a.b', '%%%.%%%']) expect(verifySessionToken(junk, key, 0).ok).toBe(false);
  });
});
