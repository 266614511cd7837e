import { describeShard, describeStreamCommon, sortedShards } from '../describe.js';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const describeStream = streamsAction('DescribeStream', Schemas.DescribeStream, async (svc, input) => {
  const stream = svc.registry.require(input);
  const limit = input.Limit ?? 100;
  const after = input.ExclusiveStartShardId;
  const all = sortedShards(stream).map((s) => describeShard(stream, s));
  const start = after === undefined ? 0 : all.findIndex((s) => s.ShardId > after);
  const shards = start < 0 ? [] : all.slice(start, start + limit);
  return {
    StreamDescription: {
      ...describeStreamCommon(stream),
      Shards: shards,
      HasMoreShards: start >= 0 && start + limit < all.length,
    },
  };
});
