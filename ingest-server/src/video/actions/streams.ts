/** CreateStream, DescribeStream, ListStreams and DeleteStream. */
import { Type } from '@sinclair/typebox';
import { RivuletError } from '@rivulet/shared';
import { RETENTION, streamArn } from '../model.js';
import { encodePageToken, pageTokenDecoder } from '../page-token.js';
import { VideoSchemas, type VideoOutput } from '../schemas.js';
import { videoAction } from './define.js';
import { toStreamInfoOut } from './stream-info.js';
import { checkTags } from './tags.js';

export const createStream = videoAction('/createStream', VideoSchemas.CreateStream, async (svc, input): Promise<VideoOutput<'CreateStream'>> => {
  const retention = input.DataRetentionInHours ?? RETENTION.defaultHours;
  if (retention > RETENTION.maxHours) {
    throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: `DataRetentionInHours must be at most ${RETENTION.maxHours}` });
  }
  const tags = input.Tags ?? {};
  checkTags(tags);
  const store = svc.fragments;
  if (store.streamDocs().length >= svc.maxStreams) {
    throw new RivuletError('VIDEO_ACCOUNT_STREAM_LIMIT', { account: svc.deps.accountId, limit: svc.maxStreams });
  }
  const creationTimeMs = svc.deps.clock.now();
  const doc = await store.createStream({
    name: input.StreamName,
    arn: streamArn(svc.deps.region, svc.deps.accountId, input.StreamName, creationTimeMs),
    version: svc.newVersion(),
    status: 'ACTIVE',
    dataRetentionInHours: retention,
    creationTimeMs,
    ...(input.MediaType !== undefined ? { mediaType: input.MediaType } : {}),
    ...(input.DeviceName !== undefined ? { deviceName: input.DeviceName } : {}),
    ...(input.KmsKeyId !== undefined ? { kmsKeyId: input.KmsKeyId } : {}),
    tags,
  });
  svc.deps.logger.info({ stream: doc.name, retentionHours: retention }, 'video stream created');
  return { StreamARN: doc.arn };
});

export const describeStream = videoAction('/describeStream', VideoSchemas.DescribeStream, async (svc, input): Promise<VideoOutput<'DescribeStream'>> => {
  return { StreamInfo: toStreamInfoOut(svc.require(input)) };
});

const decodeListToken = pageTokenDecoder(Type.Object({ after: Type.String() }));

export const listStreams = videoAction('/listStreams', VideoSchemas.ListStreams, async (svc, input): Promise<VideoOutput<'ListStreams'>> => {
  const limit = input.MaxResults ?? 10_000;
  const after = input.NextToken ? decodeListToken(input.NextToken).after : null;
  const prefix = input.StreamNameCondition?.ComparisonValue ?? '';
  const matching = svc.fragments.streamDocs().filter((d) => d.name.startsWith(prefix) && (after === null || d.name > after));
  const page = matching.slice(0, limit);
  const last = page[page.length - 1];
  return {
    StreamInfoList: page.map(toStreamInfoOut),
    ...(matching.length > limit && last ? { NextToken: encodePageToken({ after: last.name }) } : {}),
  };
});

export const deleteStream = videoAction('/deleteStream', VideoSchemas.DeleteStream, async (svc, input): Promise<VideoOutput<'Empty'>> => {
  const doc = svc.require({ StreamARN: input.StreamARN });
  if (input.CurrentVersion !== undefined && input.CurrentVersion !== doc.version) {
    throw new RivuletError('VIDEO_VERSION_MISMATCH', { given: input.CurrentVersion, current: doc.version });
  }
  await svc.fragments.deleteStream(doc.arn);
  svc.deps.logger.info({ stream: doc.name }, 'video stream deleted');
  return {};
});
