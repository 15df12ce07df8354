import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/cluster needs the real Temporal server: `npm run test:cluster` (vitest.cluster.config.ts) runs it.
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    // Temporal workers have crashed under worker threads; child processes are safe.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    // Most tests need booking only; those that need the whole airline name its services (test/estate/airline*.test.ts).
    env: { LIFEBOAT_ESTATE_SERVICES: 'booking' },
    testTimeout: 60_000,
    // A poll that waits for a page, a gauge or a run to catch up: a second (vitest's default) is too short on a
    // 2-core machine running two test files at once.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
