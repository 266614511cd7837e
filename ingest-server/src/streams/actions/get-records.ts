import { RawJson } from '../../plugins/aws-json.js';
import { MAX_GET_RECORDS } from '../records.js';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const getRecords = streamsAction('GetRecords', Schemas.GetRecords, async (svc, input) => {
  const body = await svc.records.get(input.ShardIterator, input.Limit ?? MAX_GET_RECORDS);
  return new RawJson(body.finish(), body.byteLength);
});
