/**
 * Per-shard throughput limits as token buckets that refill continuously and hold one second of
 * burst. Kinesis: 1000 records/s and 1 MiB/s in, 5 GetRecords calls/s and 2 MiB/s out per shard.
 * Time comes from the injected clock; disabled limits admit everything.
 */
import type { Static } from '@sinclair/typebox';
import type { Clock } from '@rivulet/shared';
import type { ThroughputLimits } from '../config.js';

class Bucket {
  private tokens: number;
  private lastMs: number;

  constructor(private readonly ratePerSecond: number, nowMs: number) {
    this.tokens = ratePerSecond;
    this.lastMs = nowMs;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.tokens = Math.min(this.ratePerSecond, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.lastMs = nowMs;
  }

  /** Takes `amount` if the bucket holds it; otherwise takes nothing and returns false. */
  tryTake(amount: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < amount && this.tokens < this.ratePerSecond) return false;
    this.tokens -= amount;
    return true;
  }

  /** Spends `amount` even into debt (for reads, whose size is known only afterwards). */
  spend(amount: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= amount;
  }

  hasAny(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= 1 || (this.tokens > 0 && this.ratePerSecond < 1);
  }
}

interface ShardBuckets {
  writeRecords: Bucket;
  writeBytes: Bucket;
  readCalls: Bucket;
  readBytes: Bucket;
}

export class ThroughputLimiter {
  private readonly shards = new Map<string, ShardBuckets>();

  constructor(
    private readonly limits: Static<typeof ThroughputLimits>,
    private readonly clock: Clock,
  ) {}

  private buckets(streamId: number, shardIndex: number): ShardBuckets {
    const key = `${streamId}/${shardIndex}`;
    let b = this.shards.get(key);
    if (!b) {
      const now = this.clock.now();
      b = {
        writeRecords: new Bucket(this.limits.writeRecordsPerSecond, now),
        writeBytes: new Bucket(this.limits.writeBytesPerSecond, now),
        readCalls: new Bucket(this.limits.readCallsPerSecond, now),
        readBytes: new Bucket(this.limits.readBytesPerSecond, now),
      };
      this.shards.set(key, b);
    }
    return b;
  }

  /** Admits one record of `bytes` into the shard, or refuses it (ProvisionedThroughputExceeded). */
  admitWrite(streamId: number, shardIndex: number, bytes: number): boolean {
    if (!this.limits.enabled) return true;
    const b = this.buckets(streamId, shardIndex);
    const now = this.clock.now();
    if (!b.writeRecords.tryTake(1, now)) return false;
    if (!b.writeBytes.tryTake(bytes, now)) {
      b.writeRecords.spend(-1, now);
      return false;
    }
    return true;
  }

  /** Gives back what admitWrite took, when an all-or-nothing batch is refused. */
  refundWrite(streamId: number, shardIndex: number, bytes: number): void {
    if (!this.limits.enabled) return;
    const b = this.buckets(streamId, shardIndex);
    const now = this.clock.now();
    b.writeRecords.spend(-1, now);
    b.writeBytes.spend(-bytes, now);
  }

  /** Admits one GetRecords call on the shard, if both the call and byte budgets have room. */
  admitRead(streamId: number, shardIndex: number): boolean {
    if (!this.limits.enabled) return true;
    const b = this.buckets(streamId, shardIndex);
    const now = this.clock.now();
    if (!b.readBytes.hasAny(now)) return false;
    return b.readCalls.tryTake(1, now);
  }

  recordRead(streamId: number, shardIndex: number, bytes: number): void {
    if (!this.limits.enabled) return;
    this.buckets(streamId, shardIndex).readBytes.spend(bytes, this.clock.now());
  }

  forgetStream(streamId: number): void {
    for (const key of this.shards.keys()) if (key.startsWith(`${streamId}/`)) this.shards.delete(key);
  }
}
