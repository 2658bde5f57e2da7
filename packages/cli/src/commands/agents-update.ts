import { isRecord } from '../http-client.js';
import { EXIT, paint, UsageError } from '../io.js';
import {
  checkEnum,
  checkId,
  checkInteger,
  checkLabels,
  checkText,
  checkTime,
  ENVIRONMENTS,
  positional,
  RISKS,
  stringOf,
  stringsOf,
  TIERS,
  type Values,
} from './agents-args.js';
import { type AgentsCommand, objectField, printJson, text } from './agents-format.js';

export const update: AgentsCommand = {
  help: `Usage: warden agents update <agt_id> [options]

Changes only the fields given, and prints each change. A repeated flag (--env, --role, --label)
replaces the whole list (or label set) with the values given.

  --purpose <text>             what the agent is for
  --risk <class>               ${RISKS.join(', ')}
  --env <env>                  ${ENVIRONMENTS.join(', ')} (repeatable)
  --role <role>                (repeatable)
  --label <key=value>          (repeatable)
  --max-children <n>           how many sub-agents it may spawn
  --owner <usr_id>             hand the agent to another accountable human
  --tier <tier>                ${TIERS.join(', ')}
  --recertify-at <iso|none>    next recertification, or none to clear it
`,
  options: {
    purpose: { type: 'string' },
    risk: { type: 'string' },
    env: { type: 'string', multiple: true },
    role: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    'max-children': { type: 'string' },
    owner: { type: 'string' },
    tier: { type: 'string' },
    'recertify-at': { type: 'string' },
  },
  positionals: ['agent id'],
  prepare(values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'update'));
    const body = patchOf(values);
    if (Object.keys(body).length === 0) {
      throw new UsageError(
        'agents update: nothing to change; give at least one of --purpose, --risk, --env, --role, --label, --max-children, --owner, --tier, --recertify-at',
      );
    }
    return async (api, io, json) => {
      const response = await api.request('PATCH', `/v1/agents/${id}`, body);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const agent = objectField(response, 'agent');
      const changes = Object.entries(objectField(response, 'changes'));
      if (changes.length === 0) {
        io.out(`agent ${text(agent.id)} already had these values: nothing changed\n`);
        return EXIT.ok;
      }
      io.out(`${paint(io, 'green', 'updated agent')} ${text(agent.id)}\n`);
      for (const [field, change] of changes) {
        const { from, to } = isRecord(change) ? change : { from: undefined, to: undefined };
        io.out(`  ${field}: ${text(from, 'none')} -> ${text(to, 'none')}\n`);
      }
      return EXIT.ok;
    };
  },
};

function patchOf(values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const purpose = stringOf(values, 'purpose');
  if (purpose !== undefined) body.purpose = checkText('--purpose', purpose);
  const risk = stringOf(values, 'risk');
  if (risk !== undefined) body.risk = checkEnum('--risk', RISKS, risk);
  const envs = stringsOf(values, 'env');
  if (envs.length > 0) body.environments = envs.map((env) => checkEnum('--env', ENVIRONMENTS, env));
  const roles = stringsOf(values, 'role');
  if (roles.length > 0) body.roles = roles.map((role) => checkText('--role', role));
  const labels = stringsOf(values, 'label');
  if (labels.length > 0) body.labels = checkLabels(labels);
  const maxChildren = stringOf(values, 'max-children');
  if (maxChildren !== undefined) body.maxChildren = checkInteger('--max-children', maxChildren, 0);
  const owner = stringOf(values, 'owner');
  if (owner !== undefined) body.ownerId = checkId('--owner', 'usr', owner);
  const tier = stringOf(values, 'tier');
  if (tier !== undefined) body.tier = checkEnum('--tier', TIERS, tier);
  const recertifyAt = stringOf(values, 'recertify-at');
  if (recertifyAt !== undefined)
    body.recertifyAt = recertifyAt === 'none' ? null : checkTime('--recertify-at', recertifyAt);
  return body;
}
