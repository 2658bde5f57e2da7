import { EXIT, paint, UsageError } from '../io.js';
import {
  checkEnum,
  checkId,
  checkInteger,
  checkLabels,
  checkText,
  checkTime,
  ENVIRONMENTS,
  RISKS,
  required,
  stringOf,
  stringsOf,
} from './agents-args.js';
import {
  type AgentsCommand,
  agentLines,
  objectField,
  printJson,
  secretLines,
  text,
} from './agents-format.js';

export const create: AgentsCommand = {
  help: `Usage: warden agents create --name <name> --owner <usr_id> --purpose <text> --risk <class> --env <env> [options]

Registers an agent and issues its first API key. The key's secret is printed once.
Agents with risk pii, financial or phi start "pending": an admin activates them.

  --name <name>           the agent's name
  --owner <usr_id>        the accountable human
  --purpose <text>        what the agent is for
  --risk <class>          the most sensitive data it touches: ${RISKS.join(', ')}
  --env <env>             where it may act: ${ENVIRONMENTS.join(', ')} (repeatable)
  --role <role>           a role (permission profile) (repeatable)
  --label <key=value>     a label (repeatable)
  --max-children <n>      how many sub-agents it may spawn
  --recertify-at <iso>    when its owner must next recertify it
`,
  options: {
    name: { type: 'string' },
    owner: { type: 'string' },
    purpose: { type: 'string' },
    risk: { type: 'string' },
    env: { type: 'string', multiple: true },
    role: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    'max-children': { type: 'string' },
    'recertify-at': { type: 'string' },
  },
  positionals: [],
  prepare(values) {
    const body: Record<string, unknown> = {
      name: checkText('--name', required(values, 'name', 'create')),
      ownerId: checkId('--owner', 'usr', required(values, 'owner', 'create')),
      purpose: checkText('--purpose', required(values, 'purpose', 'create')),
      risk: checkEnum('--risk', RISKS, required(values, 'risk', 'create')),
      environments: stringsOf(values, 'env').map((env) => checkEnum('--env', ENVIRONMENTS, env)),
    };
    if (stringsOf(values, 'env').length === 0) throw new UsageError('agents create: --env is required');
    const roles = stringsOf(values, 'role').map((role) => checkText('--role', role));
    if (roles.length > 0) body.roles = roles;
    const labels = stringsOf(values, 'label');
    if (labels.length > 0) body.labels = checkLabels(labels);
    const maxChildren = stringOf(values, 'max-children');
    if (maxChildren !== undefined) body.maxChildren = checkInteger('--max-children', maxChildren, 0);
    const recertifyAt = stringOf(values, 'recertify-at');
    if (recertifyAt !== undefined) body.recertifyAt = checkTime('--recertify-at', recertifyAt);
    return async (api, io, json) => {
      const response = await api.request('POST', '/v1/agents', body);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const agent = objectField(response, 'agent');
      const key = objectField(response, 'key');
      const secret = (response as { secret?: unknown }).secret;
      io.out(`${paint(io, 'green', 'created agent')} ${text(agent.id)}\n${agentLines(agent)}\n`);
      io.out(secretLines(io, key, secret));
      if (agent.status === 'pending') {
        io.out(
          `\nThe agent is pending: it cannot act until an admin activates it with "warden agents activate ${text(agent.id)}".\n`,
        );
      }
      return EXIT.ok;
    };
  },
};
