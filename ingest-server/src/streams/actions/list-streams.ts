import { RivuletError } from '@rivulet/shared';
import { decodePageToken, encodePageToken, seconds, streamStatus } from '../describe.js';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const listStreams = streamsAction('ListStreams', Schemas.ListStreams, async (svc, input) => {
  let after = input.ExclusiveStartStreamName;
  if (input.NextToken !== undefined) {
    const token = decodePageToken(input.NextToken);
    if (!token || typeof token.after !== 'string') throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Invalid NextToken.' });
    after = token.after;
  }
  const limit = input.Limit ?? 100;
  const all = svc.registry.list().filter((s) => after === undefined || s.doc.name > after);
  const page = all.slice(0, limit);
  const more = all.length > limit;
  const last = page[page.length - 1];
  return {
    StreamNames: page.map((s) => s.doc.name),
    HasMoreStreams: more,
    ...(more && last ? { NextToken: encodePageToken({ after: last.doc.name }) } : {}),
    StreamSummaries: page.map((s) => ({
      StreamName: s.doc.name,
      StreamARN: s.arn,
      StreamStatus: streamStatus(s),
      StreamModeDetails: { StreamMode: s.doc.mode },
      StreamCreationTimestamp: seconds(s.doc.createdAtMs),
    })),
  };
});
