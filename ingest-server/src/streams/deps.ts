/** What the Data Streams service is given from outside: clock, storage, keys, config, logger. */
import type { Static } from '@sinclair/typebox';
import type { Clock } from '@rivulet/shared';
import type { Logger } from 'pino';
import type { StreamsConfig } from '../config.js';
import type { ChunkCipher } from './chunk-codec.js';
import type { StreamsMetrics } from './metrics.js';
import type { ShardStore } from './store.js';

/** The key store as Data Streams sees it: encrypt, decrypt, and resolve a KeyId or alias. */
export interface StreamKeys extends ChunkCipher {
  /** Returns the canonical key id for a KeyId, key ARN or alias; throws KMSNotFoundException. */
  resolveKey(keyId: string): string;
}

export interface StreamsDeps {
  clock: Clock;
  store: ShardStore;
  keys: StreamKeys | null;
  logger: Logger;
  region: string;
  accountId: string;
  config: Static<typeof StreamsConfig>;
  /** Processes sharing the store (storage.ingestProcesses): each enforces its share of the limits. */
  ingestProcesses?: number;
  /** Records and bytes per shard for /metrics; none by default. */
  metrics?: StreamsMetrics;
}
