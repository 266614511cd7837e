/** The Firehose action table (Firehose_20150804.*), bound to one FirehoseService. */
import { TARGET_PREFIX } from '@rivulet/shared';
import type { AwsJsonRouter } from '../plugins/aws-json.js';
import { createDeliveryStream, deleteDeliveryStream, describeDeliveryStreamAction, listDeliveryStreams, updateDestination } from './actions/control.js';
import type { FirehoseAction } from './actions/define.js';
import { putRecord, putRecordBatch } from './actions/records.js';
import { listTagsForDeliveryStream, tagDeliveryStream, untagDeliveryStream } from './actions/tags.js';
import type { FirehoseService } from './service.js';

export const FIREHOSE_ACTIONS: readonly FirehoseAction[] = [
  createDeliveryStream,
  deleteDeliveryStream,
  describeDeliveryStreamAction,
  listDeliveryStreams,
  updateDestination,
  putRecord,
  putRecordBatch,
  tagDeliveryStream,
  untagDeliveryStream,
  listTagsForDeliveryStream,
];

export function registerFirehoseRoutes(router: AwsJsonRouter, svc: FirehoseService): void {
  router.addService(
    TARGET_PREFIX.firehose,
    FIREHOSE_ACTIONS.map((make) => make(svc)),
  );
}
