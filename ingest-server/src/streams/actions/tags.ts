import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

/** Kinesis: a stream has at most 50 tags. */
const MAX_TAGS = 50;

export const addTagsToStream = streamsAction('AddTagsToStream', Schemas.AddTagsToStream, async (svc, input) => {
  const stream = svc.registry.require(input);
  const keys = Object.keys(input.Tags);
  if (keys.length === 0 || keys.length > 10) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'AddTagsToStream takes between 1 and 10 tags per call' });
  }
  const merged = { ...stream.doc.tags, ...input.Tags };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw new RivuletError('STREAMS_LIMIT', { message: `Failed to add tags to stream ${stream.doc.name} under account ${svc.deps.accountId} because a given stream cannot have more than ${MAX_TAGS} tags.` });
  }
  if (keys.some((k) => k.length === 0 || k.length > 128 || k.startsWith('aws:'))) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Tag keys must be 1 to 128 characters and must not start with aws:' });
  }
  stream.doc.tags = merged;
  await svc.registry.save(stream);
  return {};
});

export const removeTagsFromStream = streamsAction('RemoveTagsFromStream', Schemas.RemoveTagsFromStream, async (svc, input) => {
  const stream = svc.registry.require(input);
  const tags = { ...stream.doc.tags };
  for (const key of input.TagKeys) delete tags[key];
  stream.doc.tags = tags;
  await svc.registry.save(stream);
  return {};
});

export const listTagsForStream = streamsAction('ListTagsForStream', Schemas.ListTagsForStream, async (svc, input) => {
  const stream = svc.registry.require(input);
  const limit = input.Limit ?? 50;
  const after = input.ExclusiveStartTagKey;
  const keys = Object.keys(stream.doc.tags)
    .sort()
    .filter((k) => after === undefined || k > after);
  return {
    Tags: keys.slice(0, limit).map((Key) => ({ Key, Value: stream.doc.tags[Key] ?? '' })),
    HasMoreTags: keys.length > limit,
  };
});
