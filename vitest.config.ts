import { defineConfig } from 'vitest/config';

/** The Data Streams API suites, which the "scale-out" project runs again on two processes and JetStream. */
const STREAMS_API_SUITES = ['test/integration/streams-records.test.ts', 'test/integration/streams-admin.test.ts', 'test/integration/streams-resharding.test.ts'];

export default defineConfig({
  resolve: { conditions: ['rivulet-src'] },
  ssr: { resolve: { conditions: ['rivulet-src'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['shared/src/**/*.test.ts', 'ingest-server/src/**/*.test.ts', 'ingest-server/console/src/**/*.test.ts', 'agent/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'scale-out',
          include: STREAMS_API_SUITES,
          // test/harness/ingest-pair.ts: 3 JetStream nodes, 2 rivulet-ingest processes, a round-robin balancer.
          env: { RIVULET_TEST_TOPOLOGY: 'jetstream-pair' },
        },
      },
    ],
  },
});
