import { type Connection, createClient, isRecord, RequestFailed } from '../http-client.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { checkId, checkText, stringOf, type Values } from './agents-args.js';
import { arrayField, objectField, printJson, text } from './agents-format.js';
import type { CheckedCommand } from './subcommand.js';

/** What a `warden kill` subcommand runs once its arguments are checked and the server is known. */
export type KillExecute = (connection: Connection, io: CliIo, json: boolean) => Promise<number>;

export type KillCommand = CheckedCommand<Connection>;

/** The server's own limit on a reason; checked here so a long one is a usage error. */
const MAX_REASON = 500;

function reasonOf(values: Values, required: boolean, command: string): string | undefined {
  const reason = stringOf(values, 'reason');
  if (reason === undefined) {
    if (required) throw new UsageError(`kill ${command}: --reason is required`);
    return undefined;
  }
  checkText('--reason', reason);
  if (reason.length > MAX_REASON)
    throw new UsageError(`--reason: at most ${MAX_REASON} characters, got ${reason.length}`);
  return reason;
}

function target(positionals: readonly string[], command: string, what: string): string {
  const value = positionals[0];
  if (value === undefined) throw new UsageError(`kill ${command}: missing the ${what}`);
  return value;
}

/** "2 pending approvals cancelled", from the ids the server lists. */
function cancelled(body: unknown): string {
  const list = isRecord(body) ? body.cancelledApprovals : undefined;
  if (!Array.isArray(list))
    throw new RequestFailed('error: unexpected response from the server: no "cancelledApprovals" list');
  return `${list.length} pending approval${list.length === 1 ? '' : 's'} cancelled`;
}

/** Sends one request; prints the JSON answer with --json, else the line `describe` makes of it. */
function send(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body: object | undefined,
  describe: (response: unknown, io: CliIo) => string,
): KillExecute {
  return async (connection, io, json) => {
    const response = await createClient(connection).request(method, path, body);
    if (json) printJson(io, response);
    else io.out(`${describe(response, io)}\n`);
    return EXIT.ok;
  };
}

export const agent: KillCommand = {
  help: `Usage: warden kill agent <agt_id> [--reason <text>]

Suspends one agent at once, on every Warden node, and cancels its pending approvals (an agent
waiting on one is released with "cancelled"). Admin, security, or the agent's owner. Killing an
agent that is already suspended changes nothing. Resume it with "warden agents resume".

  --reason <text>   why (audited and sent to the owner; at most ${MAX_REASON} characters)
`,
  options: { reason: { type: 'string' } },
  positionals: ['agent id'],
  prepare(values, positionals) {
    const id = checkId('agent id', 'agt', target(positionals, 'agent', 'agent id (agt_…)'));
    const reason = reasonOf(values, false, 'agent');
    return send('POST', `/v1/kill/agents/${id}`, reason === undefined ? {} : { reason }, (body, io) => {
      const killed = objectField(body, 'agent');
      const changed = (body as { changed?: unknown }).changed === true;
      const what = `agent ${text(killed.id)} (${text(killed.name)})`;
      return changed
        ? `${paint(io, 'red', 'killed')} ${what}: suspended; ${cancelled(body)}`
        : `${what} was already suspended; ${cancelled(body)}`;
    });
  },
};

export const owner: KillCommand = {
  help: `Usage: warden kill owner <usr_id or email> [--reason <text>]

Suspends every active or pending agent of one human, in one step, and cancels their pending
approvals. Admin or security.

  --reason <text>   why (audited and sent to the owner; at most ${MAX_REASON} characters)
`,
  options: { reason: { type: 'string' } },
  positionals: ['human id or email'],
  prepare(values, positionals) {
    const ref = target(positionals, 'owner', 'owner (usr_… or an e-mail address)');
    if (!ref.includes('@')) checkId('owner', 'usr', ref);
    const reason = reasonOf(values, false, 'owner');
    const path = `/v1/kill/owners/${encodeURIComponent(ref)}`;
    return send('POST', path, reason === undefined ? {} : { reason }, (body, io) => {
      const who = objectField(body, 'owner');
      const agents = arrayField(body, 'suspended');
      const names = agents.length === 0 ? '' : `: ${agents.map((a) => text(a.name)).join(', ')}`;
      return `${paint(io, 'red', 'killed')} ${agents.length} agent${agents.length === 1 ? '' : 's'} of ${text(who.email)} (${text(who.id)})${names}; ${cancelled(body)}`;
    });
  },
};

function freezeLine(tenant: Record<string, unknown>): string {
  return `since ${text(tenant.frozenAt)} by ${text(tenant.frozenBy)}: ${text(tenant.reason)}`;
}

export const tenant: KillCommand = {
  help: `Usage: warden kill tenant --reason <text>

Freezes the whole tenant: every agent call is denied (tenant_frozen) on every Warden node, new
sub-agents are refused, and every pending approval is cancelled. Asks for no confirmation.
Admin or security. Lift it with "warden kill thaw" (admin).

  --reason <text>   why (required; audited and sent to every admin and security person)
`,
  options: { reason: { type: 'string' } },
  positionals: [],
  prepare(values) {
    const reason = reasonOf(values, true, 'tenant');
    return send('POST', '/v1/kill/tenant', { reason }, (body, io) => {
      const frozen = objectField(body, 'tenant');
      if ((body as { changed?: unknown }).changed !== true) {
        return `tenant ${text(frozen.id)} was already frozen ${freezeLine(frozen)}; ${cancelled(body)}`;
      }
      return `${paint(io, 'red', 'froze')} tenant ${text(frozen.id)}: every agent call is denied until an admin runs "warden kill thaw"; ${cancelled(body)}`;
    });
  },
};

export const thaw: KillCommand = {
  help: `Usage: warden kill thaw

Lifts a tenant freeze (admin only). Agents that were suspended one by one stay suspended.
`,
  options: {},
  positionals: [],
  prepare() {
    return send('DELETE', '/v1/kill/tenant', undefined, (body, io) => {
      const thawed = objectField(body, 'tenant');
      return (body as { changed?: unknown }).changed === true
        ? `${paint(io, 'green', 'thawed')} tenant ${text(thawed.id)}: agents may act again`
        : `tenant ${text(thawed.id)} was not frozen`;
    });
  },
};

export const status: KillCommand = {
  help: `Usage: warden kill status

Shows whether the tenant is frozen, since when, by whom and why. Any human.
`,
  options: {},
  positionals: [],
  prepare() {
    return send('GET', '/v1/kill/tenant', undefined, (body, io) => {
      const current = objectField(body, 'tenant');
      return current.frozen === true
        ? `tenant ${text(current.id)} is ${paint(io, 'red', 'frozen')} ${freezeLine(current)}`
        : `tenant ${text(current.id)} is not frozen`;
    });
  },
};
