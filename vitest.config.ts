import { defineConfig } from 'vitest/config';

// Two projects: fast pure-logic tests run fully parallel; tests that spawn the Claude CLI,
// servers or browsers (`*.int.test.ts`, `e2e/`) share the 2-core machine with bounded
// parallelism so CLI start-up times stay realistic.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    reporters: ['default', './scripts/plain-summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          // Unit tests run first (group 0); the CLI-heavy group runs after them with its own cap.
          sequence: { groupOrder: 1 },
          include: ['packages/*/src/**/*.int.test.ts', 'e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
    ],
  },
});
