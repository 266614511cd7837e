/**
 * The device test's own vitest config (`npm run test:device`): root only, minutes long, so it is
 * kept out of `npm test`, whose include pattern (`*.test.ts`) never matches `*.device.ts`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: new URL('../..', import.meta.url).pathname,
  resolve: { conditions: ['rivulet-src'] },
  ssr: { resolve: { conditions: ['rivulet-src'] } },
  test: {
    include: ['test/device/**/*.device.ts'],
    // Kept under 15 minutes uncached on a 2-core machine; a cached root takes about 2.
    testTimeout: 15 * 60_000,
    hookTimeout: 2 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
