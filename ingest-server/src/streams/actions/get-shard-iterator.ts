import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const getShardIterator = streamsAction('GetShardIterator', Schemas.GetShardIterator, async (svc, input) => {
  const stream = svc.registry.require(input);
  const timestampMs = input.Timestamp === undefined ? undefined : Math.round(input.Timestamp * 1000);
  const iterator = await svc.records.shardIterator(stream, input.ShardId, input.ShardIteratorType, input.StartingSequenceNumber, timestampMs);
  return { ShardIterator: iterator };
});
