/** Data Streams: the only surface other modules import. */
export { StreamsService } from './service.js';
export { registerStreamsRoutes, STREAMS_ACTIONS } from './routes.js';
export { LevelShardStore } from './level-shard-store.js';
export { JetStreamShardStore, type JetStreamShardStoreOptions } from './jetstream/jetstream-shard-store.js';
export type { ShardStore } from './store.js';
export { migrateStreams, type MigrateOptions, type MigrateProgress, type MigrateSummary, type MigratedStream } from './migrate.js';
export type { InternalRecord, InternalRead } from './records.js';
export { recordData } from './records.js';
export type { StreamsDeps, StreamKeys } from './deps.js';
export type { StreamsMetrics, ShardMetrics } from './metrics.js';
