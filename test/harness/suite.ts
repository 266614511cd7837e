/**
 * Per-file test fixture: one real rivulet-ingest process and one SDK client for a whole test
 * file, started in beforeAll and stopped (data directory removed) in afterAll.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll } from 'vitest';
import { http1Kinesis, stockKinesis } from './clients.js';
import { startIngest, type IngestProcess, type StartOptions } from './ingest.js';

export interface IngestSuite {
  readonly server: IngestProcess;
  readonly kinesis: KinesisClient;
}

/** `client: 'stock'` is the SDK's default (HTTP/2) handler; 'http1' is NodeHttpHandler. */
export function useIngestSuite(options: StartOptions & { client?: 'stock' | 'http1' } = {}): IngestSuite {
  let server: IngestProcess | undefined;
  let kinesis: KinesisClient | undefined;
  beforeAll(async () => {
    server = await startIngest(options);
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
