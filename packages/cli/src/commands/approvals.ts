import { DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import type { CliIo } from '../io.js';
import type { ApprovalsCommand } from './approvals-args.js';
import { approve, deny } from './approvals-decide.js';
import { list } from './approvals-list.js';
import { show } from './approvals-show.js';
import { wait } from './approvals-wait.js';
import { runCheckedGroup } from './subcommand.js';

const COMMANDS: Readonly<Record<string, ApprovalsCommand>> = { list, show, approve, deny, wait };

const CONNECTION_HELP = `
Connection (every approvals command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE});
                    for wait, the requesting agent's key
  --json            print the server's JSON answer instead of text
`;

export const APPROVALS_HELP = `Usage: warden approvals <command> [options]

Reviews the requests that wait for a human decision: reviewed tool calls, access requests and
agent registrations.

Commands:
  list                        list requests (--mine: the ones waiting for you)
  show <apr_id>               everything needed to decide one request
  approve <apr_id>            approve its current step [--comment <text>] [--reauth]
  deny <apr_id>               deny it [--comment <text>]
  wait <apr_id>               as the requesting agent, wait until it is settled [--timeout <s>]
${CONNECTION_HELP}
Run "warden approvals <command> --help" for a command's options.
`;

/** `warden approvals <sub> ...`: check the arguments, then connect, then call the API. */
export async function approvals(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'approvals', help: APPROVALS_HELP, commands: COMMANDS, target: (connection) => connection },
    argv,
    env,
    CONNECTION_HELP,
  );
}
