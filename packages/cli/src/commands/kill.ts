import { DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import type { CliIo } from '../io.js';
import { agent, type KillCommand, owner, status, tenant, thaw } from './kill-commands.js';
import { runCheckedGroup } from './subcommand.js';

const COMMANDS: Readonly<Record<string, KillCommand>> = { agent, owner, tenant, thaw, status };

const CONNECTION_HELP = `
Connection (every kill command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const KILL_HELP = `Usage: warden kill <command> [options]

The kill switch: stops agents at once, on every Warden node, and cancels their pending approvals.

Commands:
  agent <agt_id>              suspend one agent [--reason <text>]
  owner <usr_id or email>     suspend every agent of one human [--reason <text>]
  tenant --reason <text>      freeze the whole tenant: every agent call is denied
  thaw                        lift the tenant freeze (admin)
  status                      is the tenant frozen?
${CONNECTION_HELP}
Run "warden kill <command> --help" for a command's options.
`;

/** `warden kill <sub> ...`: check the arguments, then connect, then call the API. */
export async function kill(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'kill', help: KILL_HELP, commands: COMMANDS, target: (connection) => connection },
    argv,
    env,
    CONNECTION_HELP,
  );
}
