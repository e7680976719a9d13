import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests open real sockets; files run in parallel workers, tests inside a file in order.
    pool: 'forks',
    // Servers the tests spawn keep history in memory unless a test asks for the SQLite store
    // (with its own --data-dir): parallel files must not share ./data, whose lock is exclusive.
    env: { HISTORY: 'memory' },
  },
});
