/** The Data Streams action table (Kinesis_20131202.*), bound to one StreamsService. */
import { TARGET_PREFIX } from '@rivulet/shared';
import type { AwsJsonRouter } from '../plugins/aws-json.js';
import { deregisterStreamConsumer, describeStreamConsumer, listStreamConsumers, registerStreamConsumer } from './actions/consumers.js';
import { createStream } from './actions/create-stream.js';
import type { StreamsAction } from './actions/define.js';
import { deleteStream } from './actions/delete-stream.js';
import { describeLimits } from './actions/describe-limits.js';
import { describeStreamSummary } from './actions/describe-stream-summary.js';
import { describeStream } from './actions/describe-stream.js';
import { startStreamEncryption, stopStreamEncryption } from './actions/encryption.js';
import { getRecords } from './actions/get-records.js';
import { getShardIterator } from './actions/get-shard-iterator.js';
import { listShards } from './actions/list-shards.js';
import { listStreams } from './actions/list-streams.js';
import { mergeShards } from './actions/merge-shards.js';
import { disableEnhancedMonitoring, enableEnhancedMonitoring } from './actions/monitoring.js';
import { putRecord } from './actions/put-record.js';
import { putRecords } from './actions/put-records.js';
import { decreaseStreamRetentionPeriod, increaseStreamRetentionPeriod } from './actions/retention.js';
import { splitShard } from './actions/split-shard.js';
import { addTagsToStream, listTagsForStream, removeTagsFromStream } from './actions/tags.js';
import { updateShardCount } from './actions/update-shard-count.js';
import { updateStreamMode } from './actions/update-stream-mode.js';
import type { StreamsService } from './service.js';

export const STREAMS_ACTIONS: readonly StreamsAction[] = [
  createStream,
  deleteStream,
  describeStream,
  describeStreamSummary,
  listStreams,
  listShards,
  updateStreamMode,
  putRecord,
  putRecords,
  getShardIterator,
  getRecords,
  splitShard,
  mergeShards,
  updateShardCount,
  increaseStreamRetentionPeriod,
  decreaseStreamRetentionPeriod,
  addTagsToStream,
  removeTagsFromStream,
  listTagsForStream,
  startStreamEncryption,
  stopStreamEncryption,
  describeLimits,
  enableEnhancedMonitoring,
  disableEnhancedMonitoring,
  registerStreamConsumer,
  deregisterStreamConsumer,
  describeStreamConsumer,
  listStreamConsumers,
];

export function registerStreamsRoutes(router: AwsJsonRouter, svc: StreamsService): void {
  router.addService(
    TARGET_PREFIX.streams,
    STREAMS_ACTIONS.map((make) => make(svc)),
  );
}
