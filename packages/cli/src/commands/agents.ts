import { createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import type { CliIo } from '../io.js';
import { resetBreaker } from './agents-breaker.js';
import { create } from './agents-create.js';
import type { AgentsCommand } from './agents-format.js';
import { keys, revokeKey, rotateKey } from './agents-keys.js';
import { activate, resume, retire, suspend } from './agents-lifecycle.js';
import { list } from './agents-list.js';
import { show } from './agents-show.js';
import { trust, trustCriteria } from './agents-trust.js';
import { update } from './agents-update.js';
import { runCheckedGroup } from './subcommand.js';

const COMMANDS: Readonly<Record<string, AgentsCommand>> = {
  create,
  list,
  show,
  update,
  activate,
  suspend,
  resume,
  retire,
  keys,
  'rotate-key': rotateKey,
  'revoke-key': revokeKey,
  'reset-breaker': resetBreaker,
  trust,
  'trust-criteria': trustCriteria,
};

const CONNECTION_HELP = `
Connection (every agents command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const AGENTS_HELP = `Usage: warden agents <command> [options]

Registers and governs agents through a Warden server's API.

Commands:
  create                      register an agent and print its first key (shown once)
  list                        list agents, with filters
  show <agt_id>               print an agent and its sub-agents
  update <agt_id>             change an agent's fields
  activate <agt_id>           activate a pending agent
  suspend <agt_id> --reason   suspend an agent at once
  resume <agt_id>             resume a suspended agent
  retire <agt_id>             retire an agent
  keys <agt_id>               list an agent's API keys
  rotate-key <agt_id>         issue a new key (shown once); the old ones expire after an overlap
  revoke-key <agt_id> <key>   revoke one key
  reset-breaker <agt_id>      close a tripped circuit breaker (--comment <text>)
  trust <agt_id>              explain its trust tier: each criterion, met or not, and what it needs
  trust-criteria              show or change the tenant's trust-tier criteria
${CONNECTION_HELP}
Run "warden agents <command> --help" for a command's options.
`;

/** `warden agents <sub> ...`: check the arguments, then connect, then call the API. */
export async function agents(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'agents', help: AGENTS_HELP, commands: COMMANDS, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
