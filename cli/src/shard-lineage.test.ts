import { describe, expect, it } from 'vitest';
import { ShardLineage } from './shard-lineage.js';

const open = (shardId: string, parentShardId?: string, adjacentParentShardId?: string) => ({ shardId, open: true, parentShardId, adjacentParentShardId });
const closed = (shardId: string, parentShardId?: string, adjacentParentShardId?: string) => ({ ...open(shardId, parentShardId, adjacentParentShardId), open: false });

describe('ShardLineage', () => {
  it('starts at the roots and reaches a child only after its parent finished', () => {
    const lineage = new ShardLineage([closed('a'), open('b'), open('a1', 'a'), open('a2', 'a')], false);
    expect(lineage.ready()).toEqual(['a', 'b']);
    expect(lineage.ready()).toEqual([]);
    lineage.finish('a');
    expect(lineage.ready()).toEqual(['a1', 'a2']);
  });

  it('starts a merged child only when both parents finished', () => {
    const lineage = new ShardLineage([closed('a'), closed('b'), open('ab', 'a', 'b')], false);
    expect(lineage.ready()).toEqual(['a', 'b']);
    lineage.finish('a');
    expect(lineage.ready()).toEqual([]);
    lineage.finish('b');
    expect(lineage.ready()).toEqual(['ab']);
  });

  it('with skipClosed follows only open shards, then children that appear later', () => {
    const lineage = new ShardLineage([closed('a'), open('a1', 'a'), open('a2', 'a')], true);
    expect(lineage.ready()).toEqual(['a1', 'a2']);
    lineage.update([closed('a1', 'a'), open('a2', 'a'), open('c1', 'a1'), open('c2', 'a1')]);
    expect(lineage.ready()).toEqual([]);
    lineage.finish('a1');
    expect(lineage.ready()).toEqual(['c1', 'c2']);
  });

  it('treats parents missing from the listing (trimmed) as read', () => {
    expect(new ShardLineage([open('x', 'gone', 'also-gone')], false).ready()).toEqual(['x']);
  });

  it('never starts the descendants of a shard pruned at a time bound', () => {
    const lineage = new ShardLineage([closed('a'), closed('b'), closed('a1', 'a'), open('m', 'a1', 'b'), open('g', 'm')], false);
    expect(lineage.ready()).toEqual(['a', 'b']);
    lineage.finish('a', true);
    lineage.finish('b');
    expect(lineage.ready()).toEqual([]);
    expect(lineage.active).toBe(0);
  });
});
