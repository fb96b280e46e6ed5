import { defineConfig } from 'vitest/config';

// Worker threads break the Temporal native worker; forks keep each test file in its own process.
const shared = { pool: 'forks' as const, testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      // Pure rule evaluation: no servers needed.
      { test: { ...shared, name: 'rules', include: ['test/rules/**/*.test.ts'] } },
      // Everything that talks to PostgreSQL or Temporal shares one dev server and a template database.
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/rules/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
