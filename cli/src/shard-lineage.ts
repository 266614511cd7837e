/**
 * Which shards a reader may start next. Owns the parent/child bookkeeping that keeps per-key
 * order across a reshard: a shard is read only after every parent it has in the listing is
 * exhausted (Kinesis: a child holds only records put after its parents closed). Pure: the
 * listing comes in, shard ids go out; stream-reader.ts does the reading.
 */

export interface ShardNode {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
  /** False once the shard has an EndingSequenceNumber. */
  open: boolean;
}

type State = 'waiting' | 'started' | 'finished' | 'pruned';

export class ShardLineage {
  private readonly shards = new Map<string, ShardNode>();
  private readonly state = new Map<string, State>();

  /**
   * @param skipClosed true for LATEST: shards already closed are treated as read, so only the
   *   open shards and their future children are followed.
   */
  constructor(
    shards: readonly ShardNode[],
    skipClosed: boolean,
  ) {
    for (const s of shards) {
      this.shards.set(s.shardId, s);
      this.state.set(s.shardId, skipClosed && !s.open ? 'finished' : 'waiting');
    }
  }

  /** Adds shards that appeared since (the children of a split or merge). */
  update(shards: readonly ShardNode[]): void {
    for (const s of shards) {
      if (!this.shards.has(s.shardId)) this.state.set(s.shardId, 'waiting');
      this.shards.set(s.shardId, s);
    }
  }

  /** Shards to start now (each returned once): every parent it has in the listing is finished. */
  ready(): string[] {
    const out: string[] = [];
    let changed = true;
    while (changed) {
      changed = false;
      for (const [id, node] of this.shards) {
        if (this.state.get(id) !== 'waiting') continue;
        const parents = [node.parentShardId, node.adjacentParentShardId].filter((p): p is string => p !== undefined && this.shards.has(p));
        const states = parents.map((p) => this.state.get(p));
        if (states.includes('pruned')) {
          this.state.set(id, 'pruned');
          changed = true;
        } else if (states.every((s) => s === 'finished')) {
          this.state.set(id, 'started');
          out.push(id);
        }
      }
    }
    return out;
  }

  /**
   * The shard was read to its end. `pruned`: the reader stopped early at a time bound, so its
   * children (which hold only later records) are never started.
   */
  finish(shardId: string, pruned = false): void {
    this.state.set(shardId, pruned ? 'pruned' : 'finished');
  }

  /** Shards started and not yet finished. */
  get active(): number {
    return [...this.state.values()].filter((s) => s === 'started').length;
  }
}
