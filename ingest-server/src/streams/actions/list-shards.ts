import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RivuletError, parseShardId } from '@rivulet/shared';
import { decodePageToken, describeShard, encodePageToken, sortedShards } from '../describe.js';
import type { ShardRuntime } from '../model.js';
import { Schemas, ShardFilter } from '../schemas.js';
import { streamsAction } from './define.js';

type Filter = Static<typeof ShardFilter>;

function openAt(shard: ShardRuntime, atMs: number): boolean {
  return shard.doc.createdAtMs <= atMs && (shard.doc.closedAtMs === undefined || shard.doc.closedAtMs > atMs);
}

function applyFilter(shards: ShardRuntime[], filter: Filter | undefined): ShardRuntime[] {
  if (!filter) return shards;
  const timestampMs = filter.Timestamp === undefined ? undefined : filter.Timestamp * 1000;
  switch (filter.Type) {
    case 'AFTER_SHARD_ID': {
      const after = filter.ShardId === undefined ? null : parseShardId(filter.ShardId);
      if (after === null) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'ShardFilter AFTER_SHARD_ID needs a valid ShardId' });
      return shards.filter((s) => s.doc.index > after);
    }
    case 'AT_LATEST':
      return shards.filter((s) => s.doc.closedAtMs === undefined && s.doc.endingPosition === null);
    case 'AT_TRIM_HORIZON': {
      const indexes = new Set(shards.map((s) => s.doc.index));
      return shards.filter((s) => !(s.doc.parentIndex !== null && indexes.has(s.doc.parentIndex)) && !(s.doc.adjacentParentIndex !== null && indexes.has(s.doc.adjacentParentIndex)));
    }
    case 'FROM_TRIM_HORIZON':
      return shards;
    case 'AT_TIMESTAMP':
    case 'FROM_TIMESTAMP': {
      if (timestampMs === undefined) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `ShardFilter ${filter.Type} needs a Timestamp` });
      return shards.filter((s) => openAt(s, timestampMs) || (filter.Type === 'FROM_TIMESTAMP' && s.doc.createdAtMs > timestampMs));
    }
  }
}

export const listShards = streamsAction('ListShards', Schemas.ListShards, async (svc, input) => {
  let ref = { StreamName: input.StreamName, StreamARN: input.StreamARN };
  let after: number | null = null;
  let filter = input.ShardFilter;
  if (input.NextToken !== undefined) {
    if (input.StreamName !== undefined || input.ExclusiveStartShardId !== undefined || input.ShardFilter !== undefined) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'NextToken cannot be combined with StreamName, ExclusiveStartShardId or ShardFilter.' });
    }
    const token = decodePageToken(input.NextToken);
    const badFilter = token?.filter !== undefined && !Value.Check(ShardFilter, token?.filter);
    if (!token || typeof token.stream !== 'string' || typeof token.after !== 'number' || badFilter) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Invalid NextToken.' });
    }
    ref = { StreamName: token.stream, StreamARN: undefined };
    after = token.after;
    filter = token.filter as Filter | undefined;
  } else if (input.ExclusiveStartShardId !== undefined) {
    after = parseShardId(input.ExclusiveStartShardId);
    if (after === null) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Invalid ExclusiveStartShardId ${input.ExclusiveStartShardId}` });
  }
  const stream = svc.registry.require(ref);
  const limit = input.MaxResults ?? 1000;
  const matching = applyFilter(sortedShards(stream), filter).filter((s) => after === null || s.doc.index > after);
  const page = matching.slice(0, limit);
  const last = page[page.length - 1];
  return {
    Shards: page.map((s) => describeShard(stream, s)),
    ...(matching.length > limit && last ? { NextToken: encodePageToken({ stream: stream.doc.name, after: last.doc.index, filter }) } : {}),
  };
});
