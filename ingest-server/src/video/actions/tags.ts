/** TagStream, UntagStream and ListTagsForStream. */
import { RivuletError } from '@rivulet/shared';
import { VideoSchemas, type VideoOutput } from '../schemas.js';
import { videoAction } from './define.js';

/** Kinesis Video: a stream has at most 50 tags. */
const MAX_TAGS = 50;

/** Kinesis Video: keys are 1 to 128 characters, values at most 256, and aws: is reserved. */
export function checkTags(tags: Record<string, string>): void {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) throw new RivuletError('VIDEO_TAGS_LIMIT', { limit: MAX_TAGS });
  if (keys.some((k) => k.length === 0 || k.length > 128 || k.startsWith('aws:'))) {
    throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Tag keys must be 1 to 128 characters and must not start with aws:' });
  }
}

export const tagStream = videoAction('/tagStream', VideoSchemas.TagStream, async (svc, input): Promise<VideoOutput<'Empty'>> => {
  const doc = svc.require(input);
  if (Object.keys(input.Tags).length === 0) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Tags must name at least one tag' });
  const tags = { ...doc.tags, ...input.Tags };
  checkTags(tags);
  await svc.fragments.saveStream({ ...doc, tags });
  return {};
});

export const untagStream = videoAction('/untagStream', VideoSchemas.UntagStream, async (svc, input): Promise<VideoOutput<'Empty'>> => {
  const doc = svc.require(input);
  const tags = { ...doc.tags };
  for (const key of input.TagKeyList) delete tags[key];
  await svc.fragments.saveStream({ ...doc, tags });
  return {};
});

export const listTagsForStream = videoAction('/listTagsForStream', VideoSchemas.ListTagsForStream, async (svc, input): Promise<VideoOutput<'ListTagsForStream'>> => {
  // At most 50 tags: one page holds them all.
  return { Tags: { ...svc.require(input).tags } };
});
