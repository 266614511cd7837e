/**
 * Per-file test fixture: one real rivulet-ingest process and one SDK client for a whole test
 * file, started in beforeAll and stopped (data directory removed) in afterAll. With
 * RIVULET_TEST_TOPOLOGY=jetstream-pair (the vitest project "scale-out") the same suite runs
 * against two processes on a 3-node JetStream cluster behind a round-robin balancer instead.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll } from 'vitest';
import { http1Kinesis, stockKinesis } from './clients.js';
import { startIngest, type IngestProcess, type StartOptions } from './ingest.js';
import { pairTopologyRequested, startIngestPair } from './ingest-pair.js';

export interface IngestSuite {
  readonly server: IngestProcess;
  readonly kinesis: KinesisClient;
}

/** `client: 'stock'` is the SDK's default (HTTP/2) handler; 'http1' is NodeHttpHandler. */
export function useIngestSuite(options: StartOptions & { client?: 'stock' | 'http1' } = {}): IngestSuite {
  let server: IngestProcess | undefined;
  let kinesis: KinesisClient | undefined;
  beforeAll(async () => {
    server = pairTopologyRequested() ? await startIngestPair(options) : await startIngest(options);
    kinesis = (options.client === 'http1' ? http1Kinesis : stockKinesis)(server.endpoint);
  });
  afterAll(async () => {
    kinesis?.destroy();
    await server?.stop();
    server?.cleanup();
  });
  return {
    get server() {
      if (!server) throw new Error('the suite server starts in beforeAll');
      return server;
    },
    get kinesis() {
      if (!kinesis) throw new Error('the suite client starts in beforeAll');
      return kinesis;
    },
  };
}
