// The `rivulet keys` command of the CLI (issue 8) manages the same credentials file.
export { runKeysCommand, KEYS_USAGE } from './auth/keys-command.js';
export { defaultCredentialsPath } from './auth/credentials.js';
// `rivulet migrate` (issue 9) copies Data Streams between ShardStores on the server host.
// Straight from the modules, not streams/index.ts: `rivulet keys` loads this file and should not pull in the service.
export { LevelShardStore } from './streams/level-shard-store.js';
export { JetStreamShardStore } from './streams/jetstream/jetstream-shard-store.js';
export { migrateStreams, type MigrateProgress, type MigrateSummary } from './streams/migrate.js';
export type { ShardStore } from './streams/store.js';
