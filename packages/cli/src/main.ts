import { parseArgs } from 'node:util';
import { agents } from './commands/agents.js';
import { approvals } from './commands/approvals.js';
import { audit } from './commands/audit.js';
import { budgets } from './commands/budgets.js';
import { consoleCommand } from './commands/console.js';
import { drift } from './commands/drift.js';
import { groupsCommand } from './commands/groups.js';
import { kill } from './commands/kill.js';
import { llm } from './commands/llm.js';
import { mcp } from './commands/mcp.js';
import { me } from './commands/me.js';
import { policyChanges, SERVER_POLICY_COMMANDS } from './commands/policy-changes.js';
import { EVAL_HELP, policyEval } from './commands/policy-eval.js';
import { LINT_HELP, policyLint } from './commands/policy-lint.js';
import { policyTest, TEST_HELP } from './commands/policy-test.js';
import { recert } from './commands/recert.js';
import { migrate, up } from './commands/server.js';
import { stepUp } from './commands/step-up.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { VERSION } from './version.js';

export const HELP = `warden ${VERSION}: governance control plane for AI agents

Usage: warden <command> [options]

Commands:
  up [--demo]          start a Warden node (SQLite in ./.warden by default)
  migrate              bring the database schema up to date
  policy lint <dir>    load, type-check and lint a policy bundle (--server: against a tenant)
  policy test <dir>    run the bundle's *.test.yaml policy tests
  policy eval <dir>    decide one tool call and print the Decision
  policy impact <dir>  replay recorded decisions against a candidate bundle: what would change
  policy reload        activate the server's policy directory [--notify-first <duration>]
  policy scheduled     versions waiting for their notify-first grace period (cancel <id>)
  policy shadow <command>
                       run a candidate beside the active bundle on live traffic
                       (start <dir>, stop, report)
  agents <command>     register and govern agents on a Warden server
                       (create, list, show, update, activate, suspend, resume, retire,
                       keys, rotate-key, revoke-key, reset-breaker, trust, trust-criteria)
  audit <command>      search, export, verify and shred the audit log
                       (query, export, verify, shred)
  approvals <command>  review requests waiting for a human decision
                       (list, show, approve, deny, wait)
  budgets <command>    spend budgets and rate limits, and what an agent has left
                       (list, show, set, update, delete, agent, rate-limits)
  groups <command>     the tenant's groups of approvers
                       (list, create, members, delete)
  me reauth-secret     set your re-authentication secret (for steps that ask you to re-authenticate)
  step-up hook <command>
                       how Warden asks your product to re-authenticate an end customer
                       (show, set, remove)
  console link         a one-time sign-in link for the web console
                       [--human <usr_id or email>]
  kill <command>       the kill switch: stop an agent, an owner's agents or the tenant
                       (agent, owner, tenant, thaw, status)
  mcp connect          serve MCP over stdio for a desktop client (Claude Desktop, Cursor, …),
                       relayed to Warden's MCP gateway as the agent of WARDEN_AGENT_KEY
  mcp servers <command>
                       the upstream MCP servers behind the gateway
                       (list, tools, add, update, remove)
  llm <command>        the LLM proxy's providers, and shadow mode's report
                       (providers, shadow report)
  drift report         each agent's permissions against what it used, and what to remove
  recert <command>     recertification campaigns: owners keep, reduce or retire their agents
                       (start, status, certify)

Run "warden policy <command> --help", "warden agents --help", "warden audit --help",
"warden approvals --help", "warden groups --help", "warden mcp connect --help",
"warden mcp servers --help", "warden llm --help", "warden drift --help" or "warden recert --help"
for a command's options.
`;

const POLICY_HELP: Record<string, string> = { lint: LINT_HELP, test: TEST_HELP, eval: EVAL_HELP };

/** Runs the CLI; returns the exit code. Never throws for user mistakes. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`warden: ${(error as Error).message}\nRun "warden --help" for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    io.out(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (command === 'agents') return agents(io, argv.slice(1), process.env);
  if (command === 'audit') return audit(io, argv.slice(1), process.env);
  if (command === 'approvals') return approvals(io, argv.slice(1), process.env);
  if (command === 'budgets') return budgets(io, argv.slice(1), process.env);
  if (command === 'kill') return kill(io, argv.slice(1), process.env);
  if (command === 'groups') return groupsCommand(io, argv.slice(1), process.env);
  if (command === 'me') return me(io, argv.slice(1), process.env);
  if (command === 'step-up') return stepUp(io, argv.slice(1), process.env);
  if (command === 'console') return consoleCommand(io, argv.slice(1), process.env);
  if (command === 'mcp') return mcp(io, argv.slice(1), process.env);
  if (command === 'llm') return llm(io, argv.slice(1), process.env);
  if (command === 'drift') return drift(io, argv.slice(1), process.env);
  if (command === 'recert') return recert(io, argv.slice(1), process.env);
  if (command === 'up') return up(io, argv.slice(1), process.env);
  if (command === 'migrate') return migrate(io, argv.slice(1), process.env);
  if (command !== 'policy') throw new UsageError(`unknown command "${command}"`);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (SERVER_POLICY_COMMANDS.has(sub)) return policyChanges(io, [sub, ...rest], process.env);
  const help = POLICY_HELP[sub];
  if (!help) throw new UsageError(`unknown command "policy ${sub}"`);
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...(sub === 'lint'
        ? { server: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' } }
        : {}),
      ...(sub === 'eval'
        ? {
            agent: { type: 'string' },
            tool: { type: 'string' },
            server: { type: 'string' },
            args: { type: 'string' },
            context: { type: 'string' },
            usage: { type: 'string' },
            time: { type: 'string' },
            delegation: { type: 'string' },
            signals: { type: 'string' },
            task: { type: 'string' },
          }
        : {}),
    },
  });
  if (values.help) {
    io.out(help);
    return EXIT.ok;
  }
  const [dir, extra] = positionals;
  if (dir === undefined) throw new UsageError(`policy ${sub}: missing the bundle directory\n\n${help}`);
  if (extra !== undefined) throw new UsageError(`policy ${sub}: unexpected argument "${extra}"`);
  if (sub === 'lint') {
    const { server, url, token } = values as { server?: boolean; url?: string; token?: string };
    if (!server && (url !== undefined || token !== undefined)) {
      throw new UsageError('policy lint: --url and --token only apply with --server');
    }
    return policyLint(io, dir, server ? { url, token, env: process.env } : undefined);
  }
  if (sub === 'test') return policyTest(io, dir);
  return policyEval(io, dir, values as Record<string, string | undefined>);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
