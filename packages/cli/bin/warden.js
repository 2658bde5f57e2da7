#!/usr/bin/env node
// npm links a package's bin when it installs, before `npm run build` has made dist/. Pointing the bin
// at this committed launcher means `npx warden` always resolves, and says what to do when the
// build is missing instead of npm's "could not determine executable to run".
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(built))) {
  process.stderr.write(
    'warden: the command is not built yet. Run "npm run build" (or "npm start", which builds and starts a node)\n' +
      'in the repository root, then try again.\n',
  );
  process.exit(1);
}
await import(built.href);
