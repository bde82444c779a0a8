import { defineConfig } from 'vitest/config';

// Two projects: `unit` (no I/O, runs anywhere) and `integration` (real Kafka and Redis, found or started by the
// testkit's global setup). File names decide which: `x.test.ts` is unit, `x.int.test.ts` is integration.
const ignored = ['**/node_modules/**', '.cache/**', '.data/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{contracts,packages,services,infra,test}/**/*.test.ts'],
          exclude: [...ignored, '**/*.int.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{contracts,packages,services,infra,test}/**/*.int.test.ts'],
          exclude: ignored,
          environment: 'node',
          globalSetup: ['test/setup/global-setup.ts'],
          // Each file deletes the topics of the namespaces it made, so a run does not pile up partitions.
          setupFiles: ['test/setup/delete-test-topics.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
