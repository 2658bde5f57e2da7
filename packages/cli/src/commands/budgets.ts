import { createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import type { CliIo } from '../io.js';
import type { BudgetsCommand } from './budgets-args.js';
import * as rateLimits from './budgets-rate-limits.js';
import { agent, list, show } from './budgets-read.js';
import { remove, set, update } from './budgets-write.js';
import { runCheckedGroup } from './subcommand.js';

const COMMANDS: Readonly<Record<string, BudgetsCommand>> = {
  list,
  show,
  set,
  update,
  delete: remove,
  agent,
};

const RATE_LIMIT_COMMANDS: Readonly<Record<string, BudgetsCommand>> = {
  list: rateLimits.list,
  set: rateLimits.set,
  update: rateLimits.update,
  delete: rateLimits.remove,
};

const CONNECTION_HELP = `
Connection (every budgets command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const BUDGETS_HELP = `Usage: warden budgets <command> [options]

Limits on what agents spend (dollars, tokens, calls, records) per hour, day, week, month or task,
and rate limits on how often they call tools. Anyone may read them; admins and security change them.

Commands:
  list                        list budgets
  show <bgt_id>               a budget and its counters in the current window
  set --name … --scope …      create a budget
  update <bgt_id>             change a budget's name, limit, thresholds or action at the limit
  delete <bgt_id>             delete a budget
  agent <agt_id>              every budget governing an agent now, used and remaining
  rate-limits <command>       list, set, update, delete rate limits
${CONNECTION_HELP}
Run "warden budgets <command> --help" for a command's options.
`;

export const RATE_LIMITS_HELP = `Usage: warden budgets rate-limits <command> [options]

Sliding-window limits on how many calls agents make.

Commands:
  list                        list rate limits
  set --name … --scope …      create a rate limit
  update <rtl_id>             change a rate limit
  delete <rtl_id>             delete a rate limit
${CONNECTION_HELP}
Run "warden budgets rate-limits <command> --help" for a command's options.
`;

/** `warden budgets <sub> ...` and `warden budgets rate-limits <sub> ...`: check, connect, call the API. */
export async function budgets(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const nested = argv[0] === 'rate-limits';
  return runCheckedGroup(
    io,
    {
      name: nested ? 'budgets rate-limits' : 'budgets',
      help: nested ? RATE_LIMITS_HELP : BUDGETS_HELP,
      commands: nested ? RATE_LIMIT_COMMANDS : COMMANDS,
      target: createClient,
    },
    nested ? argv.slice(1) : argv,
    env,
    CONNECTION_HELP,
  );
}
