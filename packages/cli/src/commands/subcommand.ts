import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Connection, RequestFailed, resolveConnection } from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import type { Values } from './agents-args.js';

/** What every server-bound subcommand (`warden agents …`, `warden audit …`) declares. */
export interface SubcommandSpec {
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
}

export interface ParsedSubcommand {
  readonly flags: Values;
  readonly positionals: readonly string[];
}

/**
 * Parses `<group> <sub> …` with the connection flags every such command takes. Answers the exit code
 * instead when `--help` was asked for (the help is printed); a stray argument is a UsageError.
 */
export function parseSubcommand(
  io: CliIo,
  name: string,
  spec: SubcommandSpec,
  args: readonly string[],
  positionals: number,
  connectionHelp: string,
): ParsedSubcommand | number {
  const parsed = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      ...spec.options,
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const flags = parsed.values as Values;
  if (flags.help === true) {
    io.out(`${spec.help}${connectionHelp}`);
    return EXIT.ok;
  }
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) throw new UsageError(`${name}: unexpected argument "${extra}"`);
  return { flags, positionals: parsed.positionals };
}

/** Finds the server (flags, environment, token file) and runs; a refused request is exit code 1. */
export async function withConnection(
  io: CliIo,
  flags: Values,
  env: Readonly<Record<string, string | undefined>>,
  run: (connection: Connection) => Promise<number>,
): Promise<number> {
  const connection = await resolveConnection(
    { url: stringFlag(flags.url), token: stringFlag(flags.token) },
    env,
    io.cwd,
  );
  try {
    return await run(connection);
  } catch (error) {
    if (!(error instanceof RequestFailed)) throw error;
    io.err(`${error.message}\n`);
    return EXIT.failed;
  }
}

function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
