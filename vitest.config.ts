import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of sibling workspaces (the `source` export condition),
// so they need no build first.
const conditions = ['source', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
