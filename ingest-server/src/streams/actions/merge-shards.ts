import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const mergeShards = streamsAction('MergeShards', Schemas.MergeShards, async (svc, input) => {
  const stream = svc.registry.require(input);
  await svc.resharder.merge(stream, input.ShardToMerge, input.AdjacentShardToMerge);
  return {};
});
