/** Firehose: the only surface other modules import. */
export { FirehoseService, type FirehoseDeps } from './service.js';
export type { FirehoseMetrics, DeliveryStreamMetrics } from './metrics.js';
export type { Backlog } from './backlog.js';
export { registerFirehoseRoutes, FIREHOSE_ACTIONS } from './routes.js';
export { chunkFromRecords } from './chunk.js';
export { bucketFromArn } from './plan.js';
export { invokeFunction, resolveFunction, type FunctionTarget } from './processing/transform.js';
