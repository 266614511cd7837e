/**
 * Shard iterators: opaque, tamper-proof tokens that expire 5 minutes after they are issued.
 * A token is base64url(payload | HMAC-SHA256(secret, payload)[0..16]) where payload is
 *   version u8 | streamId u32 | shardIndex u32 | position f64 | issuedAtMs f64
 * The secret lives in the ShardStore, so tokens survive a restart.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RivuletError } from '@rivulet/shared';

const VERSION = 1;
const PAYLOAD_BYTES = 25;
const MAC_BYTES = 16;
/** Kinesis: a shard iterator expires five minutes after it is returned. */
export const ITERATOR_TTL_MS = 5 * 60 * 1000;

export interface IteratorPosition {
  streamId: number;
  shardIndex: number;
  position: number;
  issuedAtMs: number;
}

export class IteratorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(p: IteratorPosition): string {
    const buf = Buffer.allocUnsafe(PAYLOAD_BYTES + MAC_BYTES);
    buf[0] = VERSION;
    buf.writeUInt32BE(p.streamId, 1);
    buf.writeUInt32BE(p.shardIndex, 5);
    buf.writeDoubleBE(p.position, 9);
    buf.writeDoubleBE(p.issuedAtMs, 17);
    this.mac(buf.subarray(0, PAYLOAD_BYTES)).copy(buf, PAYLOAD_BYTES);
    return buf.toString('base64url');
  }

  /** Verifies and decodes; throws InvalidArgumentException for anything forged or malformed. */
  decode(token: string, nowMs: number): IteratorPosition {
    const buf = Buffer.from(token, 'base64url');
    if (buf.byteLength !== PAYLOAD_BYTES + MAC_BYTES || buf[0] !== VERSION || buf.toString('base64url') !== token) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Invalid ShardIterator.' });
    }
    const expected = this.mac(buf.subarray(0, PAYLOAD_BYTES));
    if (!timingSafeEqual(expected, buf.subarray(PAYLOAD_BYTES))) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Invalid ShardIterator.' });
    }
    const issuedAtMs = buf.readDoubleBE(17);
    if (nowMs - issuedAtMs > ITERATOR_TTL_MS) {
      throw new RivuletError('STREAMS_EXPIRED_ITERATOR', { created: issuedAtMs, now: nowMs });
    }
    return { streamId: buf.readUInt32BE(1), shardIndex: buf.readUInt32BE(5), position: buf.readDoubleBE(9), issuedAtMs };
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
