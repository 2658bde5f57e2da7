import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Config,
  ConfigError,
  loadConfig,
  migrateToLatest,
  openStorage,
  seedDemo,
  serve,
} from '@warden/server';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { capHeapGrowth } from './heap-growth.js';

export const UP_HELP = `Usage: warden up [--demo] [--host H] [--port N] [--data-dir DIR] [--policy-dir DIR]

Starts a Warden node. Settings come from WARDEN_* environment variables (and the file named by
WARDEN_CONFIG); the flags override them. Defaults: 127.0.0.1:7420, SQLite in ./.warden.
It prints the web console's address and a one-time sign-in link for the admin (one use, 10 minutes).

  --demo        load examples/policies (unless a policy directory is set) and register the demo
                agents of the default tenant, printing how to try a decision
`;

export const MIGRATE_HELP = `Usage: warden migrate

Brings the database (WARDEN_DATABASE_URL, or SQLite in WARDEN_DATA_DIR) to the latest schema and exits.
`;

/** `warden up`: runs until SIGINT/SIGTERM; the returned promise only settles if the start fails. */
export async function up(io: CliIo, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      demo: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'policy-dir': { type: 'string' },
    },
  });
  if (values.help) {
    io.out(UP_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`up: unexpected argument "${positionals[0]}"`);
  const examples = resolve(io.cwd, 'examples/policies');
  const demoPolicies = values.demo && !values['policy-dir'] && !env.WARDEN_POLICY_DIR && existsSync(examples);
  const config = readConfig(io, env, {
    host: values.host,
    port: values.port,
    dataDir: values['data-dir'],
    policyDir: values['policy-dir'] ?? (demoPolicies ? examples : undefined),
  });
  if (!config) return EXIT.usage;
  capHeapGrowth(process.execArgv, env.NODE_OPTIONS);
  try {
    await serve({
      config,
      print: (line) => io.out(`${line}\n`),
      handleSignals: true,
      ...(values.demo ? { demo: seedDemo } : {}),
    });
  } catch (error) {
    io.err(`warden: cannot start: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  // Keep running: the node exits the process itself on SIGINT/SIGTERM after a clean stop.
  return new Promise<number>(() => {});
}

export async function migrate(io: CliIo, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(MIGRATE_HELP);
    return EXIT.ok;
  }
  if (argv.length > 0) throw new UsageError(`migrate: unexpected argument "${argv[0]}"`);
  const config = readConfig(io, env, {});
  if (!config) return EXIT.usage;
  const storage = openStorage(config);
  try {
    const report = await migrateToLatest(storage);
    io.out(
      report.applied.length > 0
        ? `applied ${report.applied.join(', ')}; the schema is at ${report.current}\n`
        : `the schema is up to date (${report.current})\n`,
    );
    return EXIT.ok;
  } catch (error) {
    io.err(`warden: migration failed: ${(error as Error).message}\n`);
    return EXIT.failed;
  } finally {
    await storage.close();
  }
}

function readConfig(
  io: CliIo,
  env: NodeJS.ProcessEnv,
  overrides: Record<string, string | undefined>,
): Config | undefined {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  try {
    return loadConfig({ env, overrides: given });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`warden: ${error.message}\n`);
    return undefined;
  }
}
