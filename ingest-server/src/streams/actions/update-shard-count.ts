import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const updateShardCount = streamsAction('UpdateShardCount', Schemas.UpdateShardCount, async (svc, input) => {
  const stream = svc.registry.require(input);
  if (stream.doc.mode === 'ON_DEMAND') {
    throw new RivuletError('PROTOCOL_VALIDATION', { message: 'UpdateShardCount is not supported for a stream in ON_DEMAND mode' });
  }
  const current = await svc.resharder.updateShardCount(stream, input.TargetShardCount);
  return { StreamName: stream.doc.name, StreamARN: stream.arn, CurrentShardCount: current, TargetShardCount: input.TargetShardCount };
});
