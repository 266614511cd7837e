/** PutRecord and PutRecordBatch: Direct PUT into a delivery stream. */
import { RivuletError } from '@rivulet/shared';
import { chunkFromBase64 } from '../chunk.js';
import { Schemas } from '../schemas.js';
import { firehoseAction } from './define.js';

/** Firehose: a PutRecordBatch carries at most 4 MiB of record data. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export const putRecord = firehoseAction('PutRecord', Schemas.PutRecord, async (svc, input) => {
  const chunk = chunkFromBase64([input.Record.Data], () => 'record.data');
  const [id] = await svc.put(input.DeliveryStreamName, chunk);
  return { RecordId: id, Encrypted: false };
});

export const putRecordBatch = firehoseAction('PutRecordBatch', Schemas.PutRecordBatch, async (svc, input) => {
  const chunk = chunkFromBase64(
    input.Records.map((r) => r.Data),
    (i) => `records.${i + 1}.member.data`,
  );
  if (chunk.buffer.byteLength - chunk.dataStart > MAX_BATCH_BYTES) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Records size exceeds ${MAX_BATCH_BYTES} bytes limit` });
  }
  const ids = await svc.put(input.DeliveryStreamName, chunk);
  // Every record is persisted together, so they all succeed or the call fails whole.
  return { FailedPutCount: 0, Encrypted: false, RequestResponses: ids.map((RecordId) => ({ RecordId })) };
});
