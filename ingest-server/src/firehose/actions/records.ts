/** PutRecord and PutRecordBatch: Direct PUT into a delivery stream. */
import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { firehoseAction } from './define.js';

/** Firehose: a record is at most 1,000 KiB before base64; a PutRecordBatch at most 4 MiB. */
export const MAX_RECORD_BYTES = 1000 * 1024;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Decodes one Data blob. Node's decoder skips characters outside the alphabet, so a blob with any
 * decodes short of the length its text implies: that, or a bad length, is refused.
 */
export function decodeData(text: string, member: string): Buffer {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const data = Buffer.from(text, 'base64');
  if (text.length % 4 !== 0 || data.byteLength !== (text.length / 4) * 3 - padding) throw new RivuletError('PROTOCOL_SERIALIZATION', { message: `Base64 encoded value at '${member}' is not valid` });
  if (data.byteLength > MAX_RECORD_BYTES) {
    throw new RivuletError('PROTOCOL_VALIDATION', { message: `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}` });
  }
  return data;
}

export const putRecord = firehoseAction('PutRecord', Schemas.PutRecord, async (svc, input) => {
  const data = decodeData(input.Record.Data, 'record.data');
  const [id] = await svc.put(input.DeliveryStreamName, [data]);
  return { RecordId: id, Encrypted: false };
});

export const putRecordBatch = firehoseAction('PutRecordBatch', Schemas.PutRecordBatch, async (svc, input) => {
  const datas = input.Records.map((r, i) => decodeData(r.Data, `records.${i + 1}.member.data`));
  const total = datas.reduce((n, d) => n + d.byteLength, 0);
  if (total > MAX_BATCH_BYTES) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Records size exceeds ${MAX_BATCH_BYTES} bytes limit` });
  }
  const ids = await svc.put(input.DeliveryStreamName, datas);
  // Every record is persisted together, so they all succeed or the call fails whole.
  return { FailedPutCount: 0, Encrypted: false, RequestResponses: ids.map((RecordId) => ({ RecordId })) };
});
