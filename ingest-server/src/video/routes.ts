/** The video control plane and fragment reads as REST-JSON routes, bound to one VideoService. */
import type { FastifyInstance } from 'fastify';
import type { VideoAction } from './actions/define.js';
import { getMediaForFragmentList, listFragments } from './actions/fragments.js';
import { getDataEndpoint } from './actions/get-data-endpoint.js';
import { createStream, deleteStream, describeStream, listStreams } from './actions/streams.js';
import { listTagsForStream, tagStream, untagStream } from './actions/tags.js';
import { updateDataRetention } from './actions/update-data-retention.js';
import { registerRestJsonActions } from './rest-json.js';
import type { VideoService } from './service.js';

export const VIDEO_ACTIONS: readonly VideoAction[] = [
  createStream,
  describeStream,
  listStreams,
  deleteStream,
  updateDataRetention,
  tagStream,
  untagStream,
  listTagsForStream,
  getDataEndpoint,
  listFragments,
  getMediaForFragmentList,
];

export function registerVideoRoutes(app: FastifyInstance, svc: VideoService): void {
  registerRestJsonActions(app, svc, VIDEO_ACTIONS);
}
