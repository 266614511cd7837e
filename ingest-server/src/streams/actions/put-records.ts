import { HEADERS, RivuletError } from '@rivulet/shared';
import { RawJson } from '../../plugins/aws-json.js';
import type { PutEntry, PutResult } from '../records.js';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';
import { MAX_PUT_RECORDS_BYTES, checkData, putWithProducer } from './put-entries.js';

function formatResults(results: PutResult[], encryption: string): string {
  let failed = 0;
  const parts = new Array<string>(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if ('ErrorCode' in r) {
      failed++;
      parts[i] = JSON.stringify(r);
    } else {
      parts[i] = `{"SequenceNumber":"${r.SequenceNumber}","ShardId":"${r.ShardId}"}`;
    }
  }
  return `{"FailedRecordCount":${failed},"Records":[${parts.join(',')}],"EncryptionType":"${encryption}"}`;
}

export const putRecords = streamsAction('PutRecords', Schemas.PutRecords, async (svc, input, ctx) => {
  const stream = svc.registry.require(input);
  const entries: PutEntry[] = new Array(input.Records.length);
  let total = 0;
  for (let i = 0; i < input.Records.length; i++) {
    const r = input.Records[i]!;
    const dataBytes = checkData(r.Data, `records.${i + 1}.member.data`);
    total += dataBytes + Buffer.byteLength(r.PartitionKey);
    entries[i] = { dataBase64: r.Data, dataBytes, partitionKey: r.PartitionKey, explicitHashKey: r.ExplicitHashKey };
  }
  if (total > MAX_PUT_RECORDS_BYTES) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Records size exceeds 5 MB limit: ${total} bytes` });
  }
  const encryption = stream.doc.encryption.type;
  let throttled = 0;
  const out = await putWithProducer(svc, ctx.request, stream, entries, (results) => {
    for (const r of results) if ('ErrorCode' in r && r.ErrorCode === 'ProvisionedThroughputExceededException') throttled++;
    return formatResults(results, encryption);
  });
  // Per-record refusals leave as a 200: the request metrics count them from here.
  if (throttled > 0) ctx.request.throttledRecords = throttled;
  if (out.replayed) ctx.reply.header(HEADERS.producerReplayed, 'true');
  return new RawJson(out.body);
});
