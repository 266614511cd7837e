/** Wire shapes of streams and shards (DescribeStream, ListShards, ...). Pure formatting. */
import { encodeSequenceNumber, shardIdFor } from '@rivulet/shared';
import { isOpen, type ShardRuntime, type StreamRuntime } from './model.js';

export function streamStatus(stream: StreamRuntime): 'ACTIVE' | 'UPDATING' {
  return stream.updating ? 'UPDATING' : 'ACTIVE';
}

/** JSON 1.1 timestamps are epoch seconds. */
export function seconds(ms: number): number {
  return ms / 1000;
}

export function describeShard(stream: StreamRuntime, shard: ShardRuntime) {
  const streamId = stream.doc.id;
  const ending = shard.doc.endingPosition;
  return {
    ShardId: shardIdFor(shard.doc.index),
    ...(shard.doc.parentIndex !== null ? { ParentShardId: shardIdFor(shard.doc.parentIndex) } : {}),
    ...(shard.doc.adjacentParentIndex !== null ? { AdjacentParentShardId: shardIdFor(shard.doc.adjacentParentIndex) } : {}),
    HashKeyRange: { StartingHashKey: shard.doc.startingHashKey, EndingHashKey: shard.doc.endingHashKey },
    SequenceNumberRange: {
      StartingSequenceNumber: encodeSequenceNumber({ streamId, shardIndex: shard.doc.index, position: 0 }),
      ...(ending !== null && !isOpen(shard)
        ? { EndingSequenceNumber: encodeSequenceNumber({ streamId, shardIndex: shard.doc.index, position: Math.max(0, ending) }) }
        : {}),
    },
  };
}

export function sortedShards(stream: StreamRuntime): ShardRuntime[] {
  return [...stream.shards.values()].sort((a, b) => a.doc.index - b.doc.index);
}

function encryptionFields(stream: StreamRuntime) {
  const enc = stream.doc.encryption;
  return enc.type === 'KMS' ? { EncryptionType: 'KMS', KeyId: enc.keyId } : { EncryptionType: 'NONE' };
}

export function describeStreamCommon(stream: StreamRuntime) {
  return {
    StreamName: stream.doc.name,
    StreamARN: stream.arn,
    StreamStatus: streamStatus(stream),
    StreamModeDetails: { StreamMode: stream.doc.mode },
    RetentionPeriodHours: stream.doc.retentionHours,
    StreamCreationTimestamp: seconds(stream.doc.createdAtMs),
    EnhancedMonitoring: [{ ShardLevelMetrics: stream.doc.shardLevelMetrics }],
    ...encryptionFields(stream),
  };
}

export function describeConsumer(stream: StreamRuntime, c: { name: string; arn: string; createdAtMs: number }) {
  return {
    ConsumerName: c.name,
    ConsumerARN: c.arn,
    ConsumerStatus: 'ACTIVE',
    ConsumerCreationTimestamp: seconds(c.createdAtMs),
    StreamARN: stream.arn,
  };
}

/** Opaque pagination tokens: base64url JSON, checked on the way back in. */
export function encodePageToken(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodePageToken(token: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
