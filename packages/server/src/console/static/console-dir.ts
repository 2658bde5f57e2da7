import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Where the built console is: WARDEN_CONSOLE_DIR, else the `dist` folder of the @warden/console
 * package next to this one (undefined when that package is not installed).
 */
export function consoleDir(configured: string | undefined): string | undefined {
  if (configured !== undefined) return configured;
  try {
    const manifest = createRequire(import.meta.url).resolve('@warden/console/package.json');
    return join(dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}
