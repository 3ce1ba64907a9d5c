import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The host lab is its own tier (npm run test:host): it needs root and builds a host.
    exclude: ['test/host/**', '**/node_modules/**'],
    pool: 'forks',
    // Each integration file starts its own moto server, so two files at once use both cores.
    maxWorkers: 2,
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
