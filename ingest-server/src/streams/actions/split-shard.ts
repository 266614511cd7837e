import { RivuletError, parseHashKey } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const splitShard = streamsAction('SplitShard', Schemas.SplitShard, async (svc, input) => {
  const stream = svc.registry.require(input);
  const at = parseHashKey(input.NewStartingHashKey);
  if (at === null) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `NewStartingHashKey ${input.NewStartingHashKey} is outside the hash key space` });
  await svc.resharder.split(stream, input.ShardToSplit, at);
  return {};
});
