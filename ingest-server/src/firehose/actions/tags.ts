/** TagDeliveryStream, UntagDeliveryStream, ListTagsForDeliveryStream. */
import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import { firehoseAction } from './define.js';

/** Firehose: a delivery stream has at most 50 tags. */
const MAX_TAGS = 50;

export function checkTagKeys(keys: readonly string[]): void {
  if (keys.some((k) => k.startsWith('aws:'))) throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: 'Tag keys must not start with aws:' });
}

export const tagDeliveryStream = firehoseAction('TagDeliveryStream', Schemas.TagDeliveryStream, async (svc, input) => {
  const doc = svc.docOf(input.DeliveryStreamName);
  checkTagKeys(input.Tags.map((t) => t.Key));
  const tags = { ...doc.tags };
  for (const t of input.Tags) tags[t.Key] = t.Value ?? '';
  if (Object.keys(tags).length > MAX_TAGS) throw new RivuletError('FIREHOSE_LIMIT', { message: `A delivery stream cannot have more than ${MAX_TAGS} tags.` });
  await svc.saveTags({ ...doc, tags });
  return {};
});

export const untagDeliveryStream = firehoseAction('UntagDeliveryStream', Schemas.UntagDeliveryStream, async (svc, input) => {
  const doc = svc.docOf(input.DeliveryStreamName);
  const tags = { ...doc.tags };
  for (const k of input.TagKeys) delete tags[k];
  await svc.saveTags({ ...doc, tags });
  return {};
});

export const listTagsForDeliveryStream = firehoseAction('ListTagsForDeliveryStream', Schemas.ListTagsForDeliveryStream, async (svc, input) => {
  const doc = svc.docOf(input.DeliveryStreamName);
  const limit = input.Limit ?? 50;
  const keys = Object.keys(doc.tags)
    .sort()
    .filter((k) => input.ExclusiveStartTagKey === undefined || k > input.ExclusiveStartTagKey);
  return { Tags: keys.slice(0, limit).map((Key) => ({ Key, Value: doc.tags[Key] ?? '' })), HasMoreTags: keys.length > limit };
});
