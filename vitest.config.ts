import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['rivulet-src'] },
  ssr: { resolve: { conditions: ['rivulet-src'] } },
  test: {
    include: ['shared/src/**/*.test.ts', 'ingest-server/src/**/*.test.ts', 'ingest-server/console/src/**/*.test.ts', 'agent/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
