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

/** A group of server-bound subcommands (`warden agents`, `warden approvals`, `warden audit`). */
export interface CommandGroup<C extends SubcommandSpec> {
  readonly name: string;
  readonly help: string;
  readonly commands: Readonly<Record<string, C>>;
  /** How many positional arguments a command takes. */
  positionalsOf(command: C): number;
  /** Checks the arguments (before any network) and returns what runs once connected. */
  prepare(command: C, parsed: ParsedSubcommand): (connection: Connection) => Promise<number>;
}

/**
 * `warden <group> <sub> …`: help, an unknown subcommand, argument checks, then the connection. With
 * no subcommand at all the help is printed with the usage exit code.
 */
export async function runCommandGroup<C extends SubcommandSpec>(
  io: CliIo,
  group: CommandGroup<C>,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  connectionHelp: string,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(group.help);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = group.commands[sub];
  if (!command) throw new UsageError(`unknown command "${group.name} ${sub}"\n\n${group.help}`);
  const name = `${group.name} ${sub}`;
  const parsed = parseSubcommand(io, name, command, rest, group.positionalsOf(command), connectionHelp);
  if (typeof parsed === 'number') return parsed;
  const run = group.prepare(command, parsed);
  return withConnection(io, parsed.flags, env, run);
}

/**
 * A subcommand with named positional arguments that checks them (throwing UsageError) before
 * anything touches the network, then runs against `T`: the connection, or an API client made of it.
 */
export interface CheckedCommand<T> extends SubcommandSpec {
  /** Names of the positional arguments, in order. */
  readonly positionals: readonly string[];
  prepare(
    values: Values,
    positionals: readonly string[],
  ): (target: T, io: CliIo, json: boolean) => Promise<number>;
}

/** `warden <group> <sub> …` for groups of checked commands (`agents`, `approvals`, `budgets`, `kill`). */
export function runCheckedGroup<T>(
  io: CliIo,
  group: {
    readonly name: string;
    readonly help: string;
    readonly commands: Readonly<Record<string, CheckedCommand<T>>>;
    readonly target: (connection: Connection) => T;
  },
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  connectionHelp: string,
): Promise<number> {
  return runCommandGroup(
    io,
    {
      name: group.name,
      help: group.help,
      commands: group.commands,
      positionalsOf: (command) => command.positionals.length,
      prepare(command, parsed) {
        const execute = command.prepare(parsed.flags, parsed.positionals);
        return (connection) => execute(group.target(connection), io, parsed.flags.json === true);
      },
    },
    argv,
    env,
    connectionHelp,
  );
}
