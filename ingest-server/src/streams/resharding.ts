/**
 * Resharding: SplitShard, MergeShards and UpdateShardCount (UNIFORM_SCALING, done as a series of
 * splits and merges so every shard keeps at most two parents, as in Kinesis).
 *
 * A reshard first changes routing, synchronously, so no new record reaches a closing shard;
 * then waits for in-flight commits (store barrier); only then fixes each parent's last position
 * and saves the document. Readers therefore see a parent end only after all its records landed.
 *
 * On a store several processes share, the barrier is the store's: one update closes the parents
 * to appends from every process (setWritableShards), after which their stored tails are final;
 * the document is then saved by compare-and-set. If that fails, the parents are reopened.
 */
import { RivuletError, shardIdFor, uniformRanges } from '@rivulet/shared';
import type { StreamsDeps } from './deps.js';
import { isOpen, refreshOpenShards, toRuntimeShard, type ShardRuntime, type StreamRuntime } from './model.js';
import type { StreamRegistry } from './registry.js';
import type { SharedStreamsStore } from './store.js';

export class Resharder {
  constructor(
    private readonly deps: StreamsDeps,
    private readonly registry: StreamRegistry,
  ) {}

  async split(stream: StreamRuntime, shardId: string, newStartingHashKey: bigint): Promise<void> {
    await this.registry.exclusive(stream, async () => {
      this.checkShardLimit(1);
      const shard = this.openShard(stream, shardId);
      if (newStartingHashKey <= shard.startHash || newStartingHashKey > shard.endHash) {
        throw new RivuletError('STREAMS_INVALID_ARGUMENT', {
          message: `NewStartingHashKey ${newStartingHashKey} used in SplitShard() on shard ${shardId} in stream ${stream.doc.name} under account ${this.deps.accountId} is not both greater than one plus the shard's StartingHashKey ${shard.startHash} and less than the shard's EndingHashKey ${shard.endHash}.`,
        });
      }
      const before = this.openIndexes(stream);
      const closing = [this.splitNow(stream, shard, newStartingHashKey)];
      await this.finish(stream, closing, before);
    });
  }

  async merge(stream: StreamRuntime, shardId: string, adjacentShardId: string): Promise<void> {
    await this.registry.exclusive(stream, async () => {
      const a = this.openShard(stream, shardId);
      const b = this.openShard(stream, adjacentShardId);
      if (a.endHash + 1n !== b.startHash && b.endHash + 1n !== a.startHash) {
        throw new RivuletError('STREAMS_INVALID_ARGUMENT', {
          message: `Shards ${shardId} and ${adjacentShardId} in stream ${stream.doc.name} under account ${this.deps.accountId} are not an adjacent pair of shards eligible for merging`,
        });
      }
      const before = this.openIndexes(stream);
      await this.finish(stream, this.mergeNow(stream, a, b), before);
    });
  }

  /** UNIFORM_SCALING to `target` open shards; returns the open count before the change. */
  async updateShardCount(stream: StreamRuntime, target: number): Promise<number> {
    return this.registry.exclusive(stream, async () => {
      const current = stream.openShards.length;
      if (target > current * 2 || target < Math.ceil(current / 2)) {
        throw new RivuletError('STREAMS_LIMIT', {
          message: `UpdateShardCount can scale to at most double and at least half of the current ${current} shards; ${target} was requested.`,
        });
      }
      this.checkShardLimit(target - current);
      if (target === current && this.isUniform(stream)) return current;
      const before = this.openIndexes(stream);
      const closing: ShardRuntime[] = [];
      const targets = uniformRanges(target);
      for (const range of targets.slice(1)) {
        const holder = stream.openShards.find((s) => range.startingHashKey > s.startHash && range.startingHashKey <= s.endHash);
        if (holder) closing.push(this.splitNow(stream, holder, range.startingHashKey));
      }
      for (const range of targets) {
        let parts = stream.openShards.filter((s) => s.startHash >= range.startingHashKey && s.endHash <= range.endingHashKey);
        while (parts.length > 1) {
          closing.push(...this.mergeNow(stream, parts[0]!, parts[1]!));
          parts = stream.openShards.filter((s) => s.startHash >= range.startingHashKey && s.endHash <= range.endingHashKey);
        }
      }
      await this.finish(stream, closing, before);
      return current;
    });
  }

  private openIndexes(stream: StreamRuntime): number[] {
    return stream.openShards.map((s) => s.doc.index);
  }

  private isUniform(stream: StreamRuntime): boolean {
    const expected = uniformRanges(stream.openShards.length);
    return stream.openShards.every((s, i) => s.startHash === expected[i]?.startingHashKey && s.endHash === expected[i]?.endingHashKey);
  }

  private checkShardLimit(extra: number): void {
    const limit = this.deps.config.shardLimit;
    if (this.registry.openShardCount() + extra > limit) {
      throw new RivuletError('STREAMS_LIMIT', {
        message: `This request would exceed the shard limit for the account ${this.deps.accountId} in ${this.deps.region}. Current shard count for the account: ${this.registry.openShardCount()}. Limit: ${limit}.`,
      });
    }
  }

  private openShard(stream: StreamRuntime, shardId: string): ShardRuntime {
    const m = /^(?:shardId-)?(\d{1,12})$/.exec(shardId);
    const shard = m ? stream.shards.get(Number(m[1])) : undefined;
    if (!shard) throw new RivuletError('STREAMS_SHARD_NOT_FOUND', { shard: shardId, stream: stream.doc.name, account: this.deps.accountId });
    if (!isOpen(shard)) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Shard ${shardId} in stream ${stream.doc.name} under account ${this.deps.accountId} has already been merged or split, and thus is not eligible for merging or splitting.` });
    }
    return shard;
  }

  private addChild(stream: StreamRuntime, start: bigint, end: bigint, parent: number, adjacentParent: number | null): ShardRuntime {
    const doc = {
      index: stream.doc.nextShardIndex++,
      parentIndex: parent,
      adjacentParentIndex: adjacentParent,
      startingHashKey: start.toString(),
      endingHashKey: end.toString(),
      createdAtMs: this.deps.clock.now(),
      endingPosition: null,
    };
    stream.doc.shards.push(doc);
    const child = toRuntimeShard(doc, 0, 0);
    stream.shards.set(doc.index, child);
    return child;
  }

  /** Re-routes synchronously; the parent's last position is fixed later by finish(). */
  private splitNow(stream: StreamRuntime, shard: ShardRuntime, at: bigint): ShardRuntime {
    shard.closing = true;
    this.addChild(stream, shard.startHash, at - 1n, shard.doc.index, null);
    this.addChild(stream, at, shard.endHash, shard.doc.index, null);
    refreshOpenShards(stream);
    return shard;
  }

  private mergeNow(stream: StreamRuntime, a: ShardRuntime, b: ShardRuntime): ShardRuntime[] {
    const [low, high] = a.startHash < b.startHash ? [a, b] : [b, a];
    a.closing = true;
    b.closing = true;
    this.addChild(stream, low.startHash, high.endHash, a.doc.index, b.doc.index);
    refreshOpenShards(stream);
    return [a, b];
  }

  /**
   * Must be called in the same tick as the routing change: the first save is queued ahead of any
   * record routed to a child, so a child's records are never durable before the child itself.
   */
  private async finish(stream: StreamRuntime, closing: ShardRuntime[], before: number[]): Promise<void> {
    const shared = this.deps.store.shared;
    if (shared) {
      await this.finishShared(shared, stream, closing, before);
    } else {
      const childrenSaved = this.registry.save(stream);
      await this.deps.store.barrier();
      await childrenSaved;
      const now = this.deps.clock.now();
      for (const shard of closing) {
        shard.doc.endingPosition = shard.committedPosition - 1;
        shard.doc.closedAtMs = now;
      }
      await this.registry.save(stream);
    }
    this.deps.logger.info(
      { stream: stream.doc.name, closed: closing.map((s) => shardIdFor(s.doc.index)), open: stream.openShards.map((s) => shardIdFor(s.doc.index)) },
      'resharded stream',
    );
  }

  private async finishShared(shared: SharedStreamsStore, stream: StreamRuntime, closing: ShardRuntime[], before: number[]): Promise<void> {
    const { store } = this.deps;
    try {
      await shared.setWritableShards(stream.doc.id, this.openIndexes(stream));
      const now = this.deps.clock.now();
      for (const shard of closing) {
        shard.doc.endingPosition = ((await store.tail(stream.doc.id, shard.doc.index)).nextPosition ?? 0) - 1;
        shard.doc.closedAtMs = now;
      }
      await this.registry.save(stream);
    } catch (err) {
      // Back to what the stored document says is open (another process's reshard may have won).
      try {
        await this.registry.reload(stream.doc.name);
        const stored = this.registry.byId(stream.doc.id);
        await shared.setWritableShards(stream.doc.id, stored ? this.openIndexes(stored) : before);
      } catch (rollback) {
        this.deps.logger.error({ err: rollback, stream: stream.doc.name }, 'reopening shards after a failed reshard failed; a restart reopens them');
      }
      throw err;
    }
  }
}
