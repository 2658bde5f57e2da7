import {
  checkEnum,
  checkId,
  checkInteger,
  checkText,
  checkTime,
  ENVIRONMENTS,
  RISKS,
  STATUSES,
  stringOf,
  TIERS,
  type Values,
} from './agents-args.js';
import { type AgentsCommand, type Json, text } from './agents-format.js';
import { PAGING_OPTIONS, type PagedList, printPagedList } from './paged-list.js';

export const list: AgentsCommand = {
  help: `Usage: warden agents list [filters] [--limit <n>] [--all]

Lists agents, newest first, one page at a time.

  --owner <usr_id>         owned by this human
  --status <status>        ${STATUSES.join(', ')}
  --tier <tier>            ${TIERS.join(', ')}
  --risk <class>           ${RISKS.join(', ')}
  --env <env>              may act in this environment: ${ENVIRONMENTS.join(', ')}
  --role <role>            holds this role
  --active-since <iso>     last active at or after this time
  --inactive-since <iso>   not active since this time (or never)
  --limit <n>              agents per page
  --cursor <cursor>        start from this page (the nextCursor of a previous --json answer)
  --all                    follow every page to the end
`,
  options: {
    owner: { type: 'string' },
    status: { type: 'string' },
    tier: { type: 'string' },
    risk: { type: 'string' },
    env: { type: 'string' },
    role: { type: 'string' },
    'active-since': { type: 'string' },
    'inactive-since': { type: 'string' },
    ...PAGING_OPTIONS,
  },
  positionals: [],
  prepare(values) {
    const query = listQuery(values);
    const options = { query, cursor: stringOf(values, 'cursor'), all: values.all === true };
    return (api, io, json) => printPagedList(AGENTS, api, io, { ...options, json });
  },
};

const AGENTS: PagedList = {
  path: '/v1/agents',
  field: 'agents',
  headers: ['ID', 'NAME', 'STATUS', 'TIER', 'RISK', 'ENVIRONMENTS', 'OWNER', 'LAST ACTIVE'],
  row,
};

function row(agent: Json): string[] {
  return [
    text(agent.id),
    text(agent.name),
    text(agent.status),
    text(agent.tier),
    text(agent.risk),
    text(agent.environments).replaceAll(', ', ','),
    text(agent.ownerId),
    text(agent.lastActiveAt, 'never'),
  ];
}

function listQuery(values: Values): URLSearchParams {
  const query = new URLSearchParams();
  const add = (flag: string, param: string, check: (value: string) => string | number) => {
    const value = stringOf(values, flag);
    if (value !== undefined) query.set(param, String(check(value)));
  };
  add('owner', 'owner', (v) => checkId('--owner', 'usr', v));
  add('status', 'status', (v) => checkEnum('--status', STATUSES, v));
  add('tier', 'tier', (v) => checkEnum('--tier', TIERS, v));
  add('risk', 'risk', (v) => checkEnum('--risk', RISKS, v));
  add('env', 'environment', (v) => checkEnum('--env', ENVIRONMENTS, v));
  add('role', 'role', (v) => checkText('--role', v));
  add('active-since', 'activeSince', (v) => checkTime('--active-since', v));
  add('inactive-since', 'inactiveSince', (v) => checkTime('--inactive-since', v));
  add('limit', 'limit', (v) => checkInteger('--limit', v, 1));
  add('cursor', 'cursor', (v) => checkText('--cursor', v));
  return query;
}
