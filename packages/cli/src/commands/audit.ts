import { type Connection, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import type { CliIo } from '../io.js';
import type { Values } from './agents-args.js';
import { auditExport } from './audit-export.js';
import { auditQuery } from './audit-query.js';
import { auditShred } from './audit-shred.js';
import { runAuditVerify } from './audit-verify.js';
import { runCommandGroup, type SubcommandSpec } from './subcommand.js';

/** What a `warden audit` subcommand runs once its arguments are checked and the server is known. */
export type AuditExecute = (connection: Connection, io: CliIo, json: boolean) => Promise<number>;

export interface AuditCommand extends SubcommandSpec {
  /** Checks the arguments (throwing UsageError) before anything touches the network. */
  prepare(values: Values): AuditExecute;
}

const COMMANDS: Readonly<Record<string, AuditCommand>> = {
  query: auditQuery,
  export: auditExport,
  shred: auditShred,
};

const CONNECTION_HELP = `
Connection:
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const AUDIT_HELP = `Usage: warden audit <command> [options]

Reads, exports, verifies and erases parts of the tamper-evident audit log.

Commands:
  query                 search audit events (admin, auditor)
  export --format f     download the log as JSONL (verifiable) or CSV (admin, auditor)
  shred --subject s     erase a data subject's sealed values (admin, security)
  verify                check the log's integrity, from the database or an export file
${CONNECTION_HELP}
Run "warden audit <command> --help" for a command's options.
`;

/** `warden audit <sub> ...`: check the arguments, then connect, then call the API. */
export async function audit(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  // Verification works offline too (a database or a file), so it has its own arguments.
  if (argv[0] === 'verify') return runAuditVerify(argv.slice(1), io);
  return runCommandGroup(
    io,
    {
      name: 'audit',
      help: AUDIT_HELP,
      commands: COMMANDS,
      positionalsOf: () => 0,
      prepare(command, parsed) {
        const execute = command.prepare(parsed.flags);
        return (connection) => execute(connection, io, parsed.flags.json === true);
      },
    },
    argv,
    env,
    CONNECTION_HELP,
  );
}
