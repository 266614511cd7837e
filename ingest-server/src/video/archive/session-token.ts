/**
 * HLS session tokens: an opaque, HMAC-signed and expiring description of one playback session
 * (stream, mode, range, container), so playlist and segment GETs carry their own authority and
 * need no SigV4, as with Kinesis Video's HLSStreamingSessionURL. Owns encoding, signing and
 * verification; the key comes from the caller and time from the caller's clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TimestampKind } from '../fragment-types.js';

export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type ContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';

export interface HlsSession {
  streamName: string;
  mode: PlaybackMode;
  kind: TimestampKind;
  container: ContainerFormat;
  /** Range on the `kind` clock (ms); null where the mode leaves it open. */
  startMs: number | null;
  endMs: number | null;
  /** Timestamp (ms, `kind` clock) that segment time zero maps to, so segments line up. */
  originMs: number;
  /** Server time the session was created (LIVE_REPLAY plays forward from it). */
  createdMs: number;
  expiresMs: number;
  maxFragments: number;
  discontinuity: 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';
  displayTimestamp: boolean;
  bandwidthBps: number;
}

export type TokenCheck = { ok: true; session: HlsSession } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** `<base64url(JSON)>.<base64url(HMAC-SHA256)>`: URL-safe without further escaping. */
export function signSessionToken(session: HlsSession, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(session), 'utf8').toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** Checks signature, then expiry against `nowMs`; never throws on hostile input. */
export function verifySessionToken(token: string, key: Buffer, nowMs: number): TokenCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 4096) return { ok: false, reason: 'malformed' };
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  let session: HlsSession;
  try {
    session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as HlsSession;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof session.expiresMs !== 'number' || nowMs >= session.expiresMs) return { ok: false, reason: 'expired' };
  return { ok: true, session };
}
