import { type ApiClient, createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { checkEnum, checkId, stringOf } from './agents-args.js';
import { arrayField, type Json, objectField, printJson, text } from './agents-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

const CONNECTION_HELP = `
Connection (every drift command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const DRIFT_HELP = `Usage: warden drift <command> [options]

Permission drift: what each agent's policies and temporary grants allow, against what it used.

Commands:
  report                  every agent's unused permissions, with the change that removes each
                          [--agent <agt_id>] [--owner <usr_id>] [--risk <class>] [--days <n>]
${CONNECTION_HELP}
Run "warden drift report --help" for its options.
`;

const RISKS = ['public', 'internal', 'pii', 'financial', 'phi'] as const;

function report(): CheckedCommand<ApiClient> {
  return {
    help: `Usage: warden drift report [options]

Per agent (not retired): the Policy allow and review rules and the temporary grants that apply to
it, the known tools they open, what it called in the window, and every permission it did not use,
with a suggested change: the rule to narrow or remove (file, line, YAML) or the grant to revoke
(GET /v1/drift). Admins, security and auditors see every agent; an owner sees their own.

Options:
  --agent <agt_id>   one agent
  --owner <usr_id>   the agents of one owner
  --risk <class>     the agents of one risk class (${RISKS.join(', ')})
  --days <n>         the window, in days up to now (default 30)
`,
    options: {
      agent: { type: 'string' },
      owner: { type: 'string' },
      risk: { type: 'string' },
      days: { type: 'string' },
    },
    positionals: [],
    prepare(values) {
      const query = new URLSearchParams();
      const agent = stringOf(values, 'agent');
      const owner = stringOf(values, 'owner');
      const risk = stringOf(values, 'risk');
      const days = stringOf(values, 'days');
      if (agent !== undefined) query.set('agent', checkId('--agent', 'agt', agent));
      if (owner !== undefined) query.set('owner', checkId('--owner', 'usr', owner));
      if (risk !== undefined) query.set('risk', checkEnum('--risk', RISKS, risk));
      if (days !== undefined) {
        if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > 365)
          throw new UsageError(
            `drift report: --days must be a whole number of days from 1 to 365, got "${days}"`,
          );
        query.set('days', days);
      }
      const path = `/v1/drift${query.size > 0 ? `?${query}` : ''}`;
      return async (api, io, json) => {
        const body = await api.request('GET', path);
        if (json) printJson(io, body);
        else io.out(reportText(io, body));
        return EXIT.ok;
      };
    },
  };
}

/** The report as people read it: a summary, then each agent with unused permissions and their changes. */
export function reportText(io: CliIo, body: unknown): string {
  const window = objectField(body, 'window');
  const summary = objectField(body, 'summary');
  const agents = arrayField(body, 'agents');
  const lines = [
    `Permission drift over the last ${text(window.days)} days (${text(window.from)} to ${text(window.to)})`,
    `${summary.agents} agent(s); ${summary.agentsWithCandidates} with unused permissions, ${summary.candidates} in all`,
  ];
  for (const server of arrayField(body, 'unavailableServers')) {
    lines.push(
      `  note: the tools of MCP server ${text(server.server)} could not be listed: ${text(server.reason)}`,
    );
  }
  for (const agent of agents) {
    const candidates = arrayField(agent, 'candidates');
    if (candidates.length === 0) continue;
    const decisions = objectField(agent, 'decisions');
    const tools = objectField(agent, 'tools');
    lines.push(
      '',
      `${paint(io, 'bold', text(agent.name))} (${text(agent.agentId)}, owner ${text(agent.ownerId)})${agent.fullWindow === false ? `, observed since ${text(agent.observedFrom)}` : ''}`,
      `  calls: ${decisions.allow} allowed, ${decisions.review} reviewed, ${decisions.deny} denied; tools used ${arrayField(tools, 'used').length} of ${(tools.allowed as unknown[]).length} allowed`,
    );
    for (const candidate of candidates) lines.push(...candidateLines(candidate));
  }
  return `${lines.join('\n')}\n`;
}

function candidateLines(candidate: Json): string[] {
  const suggestion = objectField(candidate, 'suggestion');
  const head = `  - ${text(candidate.kind)} ${text(candidate.id)} (${String(candidate.status).replace('_', ' ')}): ${text(suggestion.summary)}`;
  const yaml =
    typeof suggestion.yaml === 'string'
      ? suggestion.yaml
          .trimEnd()
          .split('\n')
          .map((l) => `      ${l}`)
      : [];
  const request = suggestion.request as Json | undefined;
  return [head, ...yaml, ...(request ? [`      ${text(request.method)} ${text(request.path)}`] : [])];
}

/** `warden drift report …`. */
export function drift(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'drift', help: DRIFT_HELP, commands: { report: report() }, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
