import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const startStreamEncryption = streamsAction('StartStreamEncryption', Schemas.StartStreamEncryption, async (svc, input) => {
  const stream = svc.registry.require(input);
  if (input.EncryptionType !== 'KMS') throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'EncryptionType must be KMS to start encryption' });
  if (!svc.deps.keys) throw new RivuletError('STREAMS_KMS_NOT_FOUND', { keyId: input.KeyId });
  const keyId = svc.deps.keys.resolveKey(input.KeyId);
  await svc.registry.exclusive(stream, async () => {
    stream.doc.encryption = { type: 'KMS', keyId };
    await svc.registry.save(stream);
  });
  return {};
});

export const stopStreamEncryption = streamsAction('StopStreamEncryption', Schemas.StopStreamEncryption, async (svc, input) => {
  const stream = svc.registry.require(input);
  if (input.EncryptionType !== 'KMS') throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'EncryptionType must be KMS to stop encryption' });
  await svc.registry.exclusive(stream, async () => {
    // Records written while encryption was on stay encrypted and stay readable.
    stream.doc.encryption = { type: 'NONE' };
    await svc.registry.save(stream);
  });
  return {};
});
