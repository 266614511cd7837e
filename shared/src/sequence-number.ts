/**
 * Sequence numbers: decimal strings that compare as big integers. The bits encode the stream
 * incarnation, the shard and the per-shard position, so a reader finds a record without a scan.
 *
 *   version (8) | streamId (32) | shardIndex (32) | position (64)
 *
 * Positions strictly increase within a shard, so sequence numbers do too; the shard index makes
 * them unique within a stream. Owns only the encoding, not position allocation.
 */

const VERSION = 1n;

export interface SequenceParts {
  streamId: number;
  shardIndex: number;
  position: number;
}

export function encodeSequenceNumber(parts: SequenceParts): string {
  const value =
    (VERSION << 128n) |
    (BigInt(parts.streamId) << 96n) |
    (BigInt(parts.shardIndex) << 64n) |
    BigInt(parts.position);
  return value.toString();
}

/** Decodes a sequence number; null when the text is not one of ours. */
export function decodeSequenceNumber(text: string): SequenceParts | null {
  if (!/^\d{1,60}$/.test(text)) return null;
  const value = BigInt(text);
  if (value >> 128n !== VERSION) return null;
  const mask32 = (1n << 32n) - 1n;
  const position = value & ((1n << 64n) - 1n);
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return {
    streamId: Number((value >> 96n) & mask32),
    shardIndex: Number((value >> 64n) & mask32),
    position: Number(position),
  };
}

/** The shard id Kinesis shows for a shard index: shardId-000000000000. */
export function shardIdFor(shardIndex: number): string {
  return `shardId-${String(shardIndex).padStart(12, '0')}`;
}

/** Parses shardId-NNNNNNNNNNNN (or a bare number, as AWS also accepts); null otherwise. */
export function parseShardId(text: string): number | null {
  const m = /^(?:shardId-)?(\d{1,12})$/.exec(text);
  return m?.[1] === undefined ? null : Number(m[1]);
}
