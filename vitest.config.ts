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
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
