import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const deleteStream = streamsAction('DeleteStream', Schemas.DeleteStream, async (svc, input) => {
  const stream = svc.registry.require(input);
  if (stream.doc.consumers.length > 0 && input.EnforceConsumerDeletion !== true) {
    throw new RivuletError('STREAMS_IN_USE', {
      message: `Stream ${stream.doc.name} under account ${svc.deps.accountId} has registered consumers. Set EnforceConsumerDeletion to delete them too.`,
    });
  }
  await svc.registry.exclusive(stream, () => svc.registry.delete(stream));
  svc.limiter.forgetStream(stream.doc.id);
  return {};
});
