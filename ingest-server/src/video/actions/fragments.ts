/**
 * ListFragments and GetMediaForFragmentList (Kinesis Video Archived Media). Fragments are
 * listed in fragment-number order, or in timestamp order when a FragmentSelector is given;
 * NextToken carries the selector and the last fragment returned, so later pages need nothing else.
 */
import { Type } from '@sinclair/typebox';
import { RivuletError } from '@rivulet/shared';
import { isFragmentNumber } from '../fragment-number.js';
import type { FragmentRecord } from '../fragment-types.js';
import { encodePageToken, pageTokenDecoder } from '../page-token.js';
import { VideoSchemas, type FragmentOut, type VideoOutput } from '../schemas.js';
import type { FragmentStore } from '../store.js';
import { MediaPayload, videoAction } from './define.js';

/** Kinesis Video Archived Media: ListFragments returns 100 fragments unless told otherwise. */
const DEFAULT_MAX_RESULTS = 100;
export const MKV_CONTENT_TYPE = 'video/webm';

const ListToken = Type.Object({
  /** The stream's internal id: a token is only good for the stream it came from. */
  s: Type.Integer(),
  k: Type.Union([Type.Literal('N'), Type.Literal('P'), Type.Literal('S')]),
  from: Type.Number(),
  to: Type.Number(),
  /** The last fragment returned, and its timestamp on the selected clock. */
  n: Type.String(),
  t: Type.Number(),
});
const decodeListToken = pageTokenDecoder(ListToken);

/** An epoch-seconds number (or an ISO-8601 string) as whole milliseconds. */
export function toMs(value: number | string, member: string): number {
  const ms = typeof value === 'number' ? Math.round(value * 1000) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: `${member} is not a valid timestamp` });
  return ms;
}

function toFragmentOut(r: FragmentRecord): FragmentOut {
  return {
    FragmentNumber: r.fragmentNumber,
    FragmentSizeInBytes: r.sizeBytes,
    ProducerTimestamp: r.producerTimestampMs / 1000,
    ServerTimestamp: r.serverTimestampMs / 1000,
    FragmentLengthInMilliseconds: r.durationMs,
  };
}

export const listFragments = videoAction('/listFragments', VideoSchemas.ListFragments, async (svc, input): Promise<VideoOutput<'ListFragments'>> => {
  const doc = svc.require(input);
  const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
  const store: FragmentStore = svc.fragments;
  let query: { k: 'N' | 'P' | 'S'; from: number; to: number; after: { n: string; t: number } | null };
  if (input.NextToken) {
    const token = decodeListToken(input.NextToken);
    if (token.s !== doc.id || !isFragmentNumber(token.n)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'NextToken does not belong to this stream' });
    query = { k: token.k, from: token.from, to: token.to, after: { n: token.n, t: token.t } };
  } else if (input.FragmentSelector) {
    const range = input.FragmentSelector.TimestampRange;
    const from = toMs(range.StartTimestamp, 'StartTimestamp');
    const to = toMs(range.EndTimestamp, 'EndTimestamp');
    if (to < from) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'EndTimestamp must not be before StartTimestamp' });
    query = { k: input.FragmentSelector.FragmentSelectorType === 'PRODUCER_TIMESTAMP' ? 'P' : 'S', from, to, after: null };
  } else {
    query = { k: 'N', from: 0, to: 0, after: null };
  }
  // One more than asked says whether a next page exists.
  let records: FragmentRecord[];
  if (query.k === 'N') {
    const from = query.after ? query.after.n : null;
    records = await store.listByNumber(doc.name, from, limit + 2);
    if (from !== null) records = records.filter((r) => r.fragmentNumber > from);
  } else {
    const kind = query.k === 'P' ? 'PRODUCER_TIMESTAMP' : 'SERVER_TIMESTAMP';
    const after = query.after ? { timestampMs: query.after.t, fragmentNumber: query.after.n } : null;
    records = await store.listByTimePage(doc.name, kind, query.from, query.to, after, limit + 1);
  }
  const page = records.slice(0, limit);
  const last = page[page.length - 1];
  const more = records.length > limit && last !== undefined;
  return {
    Fragments: page.map(toFragmentOut),
    ...(more
      ? {
          NextToken: encodePageToken({
            s: doc.id,
            k: query.k,
            from: query.from,
            to: query.to,
            n: last.fragmentNumber,
            t: query.k === 'P' ? last.producerTimestampMs : last.serverTimestampMs,
          }),
        }
      : {}),
  };
});

export const getMediaForFragmentList = videoAction('/getMediaForFragmentList', VideoSchemas.GetMediaForFragmentList, async (svc, input): Promise<MediaPayload> => {
  const doc = svc.require(input);
  const store = svc.fragments;
  // Every fragment must exist before the first byte goes out: after that, errors cannot be sent.
  for (const n of input.Fragments) {
    if (!(await store.get(doc.name, n))) throw new RivuletError('VIDEO_FRAGMENT_NOT_FOUND', { fragment: n, stream: doc.name });
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const n of input.Fragments) yield await store.read(doc.name, n);
  }
  return new MediaPayload(MKV_CONTENT_TYPE, chunks());
});
