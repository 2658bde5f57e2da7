import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of sibling workspaces (their `@warden/source` export
// condition), so they need no build first. The condition is ours alone: third-party packages that
// publish a plain `source` condition keep resolving to their built files.
const conditions = ['@warden/source', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@warden/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
