import { defineConfig } from 'vitest/config';

/** The host lab tier (`npm run test:host`): one fake host per file, files one after another. */
export default defineConfig({
  test: {
    include: ['test/host/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
