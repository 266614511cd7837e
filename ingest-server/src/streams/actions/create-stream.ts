import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const createStream = streamsAction('CreateStream', Schemas.CreateStream, async (svc, input) => {
  const mode = input.StreamModeDetails?.StreamMode ?? 'PROVISIONED';
  if (mode === 'PROVISIONED' && input.ShardCount === undefined) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'ShardCount is required for a PROVISIONED stream' });
  }
  if (mode === 'ON_DEMAND' && input.ShardCount !== undefined) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'ShardCount must not be given for an ON_DEMAND stream' });
  }
  const tags = input.Tags ?? {};
  if (Object.keys(tags).length > 50) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'A stream can have at most 50 tags' });
  const shardCount = input.ShardCount ?? svc.deps.config.onDemandInitialShards;
  await svc.registry.create(input.StreamName, shardCount, mode, tags);
  return {};
});
