/** Video Streams: the only surface other modules import. */
export { VideoService, type VideoDeps, type StreamRef } from './service.js';
export type { VideoMetrics, VideoStreamMetrics } from './metrics.js';
export { registerVideoRoutes, VIDEO_ACTIONS } from './routes.js';
export { registerRestJsonParser, requestBaseUrl, REST_JSON_CONTENT_TYPE } from './rest-json.js';
export { FragmentStore, type FragmentStoreOptions, type AppendInput, type TimePosition, type RecoveryReport } from './store.js';
export { MediaPayload, videoAction, type VideoAction, type VideoRequestContext } from './actions/define.js';
export { MKV_CONTENT_TYPE } from './actions/fragments.js';
export { RETENTION, STREAM_NAME_PATTERN, isValidStreamName, type VideoStreamDoc } from './model.js';
export { isFragmentNumber, FRAGMENT_NUMBER_DIGITS } from './fragment-number.js';
export type { FragmentReader, FragmentWriter, FragmentRecord, TimestampKind, VideoStreamInfo } from './fragment-types.js';
