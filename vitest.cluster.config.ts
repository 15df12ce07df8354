import { defineConfig } from 'vitest/config';

// The global setup reads this to start a real Temporal server on PostgreSQL instead of the dev server.
process.env.LIFEBOAT_TEST_SERVER = 'cluster';

/**
 * `npm run test:cluster`: the end-to-end failover, vendor-isolation and drill scenarios on a real Temporal server with
 * PostgreSQL persistence (`npm run setup:cluster` builds it), plus a server restart in the middle of a failover.
 */
export default defineConfig({
  test: {
    include: [
      'test/runbooks/region-failover.test.ts',
      'test/runbooks/isolate-vendor-module.test.ts',
      'test/runbooks/isolate-vendor-module-drill.test.ts',
      'test/cli/drill.test.ts',
      'test/cluster/**/*.test.ts',
    ],
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    // These scenarios act on booking alone, as in vitest.config.ts.
    env: { LIFEBOAT_ESTATE_SERVICES: 'booking' },
    testTimeout: 60_000,
    // A poll that waits for a page, a gauge or a run to catch up: a second (vitest's default) is too short on a
    // 2-core machine running two test files at once.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
