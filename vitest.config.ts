import { defineConfig } from 'vitest/config';

/** Starts the one embedded PostgreSQL (or uses DATABASE_URL); only the projects that need a database list it. */
const postgres = ['test/helpers/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      // Pure functions and local fakes: no database, no sandboxes.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The app with both sandboxes on a database of its own per file, and `npm run demo`.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/demo.test.ts'],
          globalSetup: postgres,
        },
      },
      // The admin pages in Debian's Chromium (`npm run screenshots` rewrites test/screenshots/).
      {
        extends: true,
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: postgres },
      },
      // The sandboxes' own conformance to shared/reference/: no app, no database.
      { extends: true, test: { name: 'sandbox', include: ['test/sandbox/**/*.test.ts'] } },
    ],
  },
});
