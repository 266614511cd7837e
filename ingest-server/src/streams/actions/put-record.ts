import { HEADERS, RivuletError } from '@rivulet/shared';
import { RawJson } from '../../plugins/aws-json.js';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';
import { checkData, putWithProducer } from './put-entries.js';

export const putRecord = streamsAction('PutRecord', Schemas.PutRecord, async (svc, input, ctx) => {
  const stream = svc.registry.require(input);
  const dataBytes = checkData(input.Data, 'data');
  const entries = [{ dataBase64: input.Data, dataBytes, partitionKey: input.PartitionKey, explicitHashKey: input.ExplicitHashKey }];
  const encryption = stream.doc.encryption.type;
  const out = await putWithProducer(svc, ctx.request, stream, entries, ([result]) => {
    // A throttled single put is refused whole. Throwing here, before the commit, also keeps the
    // refusal out of the idempotent-producer window, so a retry is tried afresh.
    if (!result || 'ErrorCode' in result) {
      throw new RivuletError('STREAMS_THROUGHPUT', { shard: 'of this record', stream: stream.doc.name, account: svc.deps.accountId });
    }
    return JSON.stringify({ ShardId: result.ShardId, SequenceNumber: result.SequenceNumber, EncryptionType: encryption });
  });
  if (out.replayed) ctx.reply.header(HEADERS.producerReplayed, 'true');
  return new RawJson(out.body);
});
