/** Firehose: the only surface other modules import. */
export { FirehoseService, type FirehoseDeps } from './service.js';
export { registerFirehoseRoutes, FIREHOSE_ACTIONS } from './routes.js';
