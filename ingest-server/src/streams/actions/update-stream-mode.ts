import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const updateStreamMode = streamsAction('UpdateStreamMode', Schemas.UpdateStreamMode, async (svc, input) => {
  const stream = svc.registry.require(input);
  const mode = input.StreamModeDetails.StreamMode;
  if (mode === 'ON_DEMAND' && stream.doc.mode !== 'ON_DEMAND' && svc.registry.onDemandStreamCount() >= svc.deps.config.onDemandStreamLimit) {
    throw new RivuletError('STREAMS_LIMIT', { message: `On-demand stream count limit of ${svc.deps.config.onDemandStreamLimit} reached` });
  }
  await svc.registry.exclusive(stream, async () => {
    stream.doc.mode = mode;
    await svc.registry.save(stream);
  });
  return {};
});
