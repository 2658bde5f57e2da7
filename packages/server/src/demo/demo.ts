import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { displayPath } from '../display-path.js';
import type { WardenNode } from '../main.js';
import { ADMIN_TOKEN_FILE } from '../tenants/bootstrap.js';

interface DemoAgent {
  readonly name: string;
  readonly purpose: string;
  readonly risk: string;
  readonly environments: string[];
  readonly roles: string[];
  readonly tier: 'monitored' | 'trusted';
}

/** The example personas of examples/policies, registered as real agents of the default tenant. */
const DEMO_AGENTS: readonly DemoAgent[] = [
  {
    name: 'deploy-agent',
    purpose: 'Builds, tests and deploys the shop services; production deploys need a human.',
    risk: 'internal',
    environments: ['staging', 'production'],
    roles: ['deploy-agent'],
    tier: 'monitored',
  },
  {
    name: 'code-review-bot',
    purpose: 'Reviews pull requests and comments; never approves, merges or closes.',
    risk: 'internal',
    environments: ['production'],
    roles: ['code-review-bot'],
    tier: 'trusted',
  },
  {
    name: 'support-assistant',
    purpose: 'Answers customers, reads tickets and CRM, issues small refunds.',
    risk: 'pii',
    environments: ['production'],
    roles: ['support-assistant'],
    tier: 'monitored',
  },
  {
    name: 'data-pipeline-agent',
    purpose: 'Moves warehouse data into staging and analytics tables and exports reports.',
    risk: 'pii',
    environments: ['production'],
    roles: ['data-pipeline'],
    tier: 'monitored',
  },
];

interface DemoHuman {
  readonly email: string;
  readonly name: string;
  readonly roles: string[];
  readonly groups: string[];
}

/** The people the example policies route reviews to; their tokens go beside the agents' keys. */
const DEMO_HUMANS: readonly DemoHuman[] = [
  {
    email: 'sam.okafor@example.com',
    name: 'Sam Okafor',
    roles: ['security', 'approver'],
    groups: ['security'],
  },
  { email: 'lena.fischer@example.com', name: 'Lena Fischer', roles: ['approver'], groups: ['support-leads'] },
  { email: 'ravi.iyer@example.com', name: 'Ravi Iyer', roles: ['approver'], groups: ['on-call-sre'] },
  {
    email: 'mia.chen@example.com',
    name: 'Mia Chen',
    roles: ['approver'],
    groups: ['on-call-sre', 'sre-leads'],
  },
];

/** Groups of the demo people; on-call-sre is a rotation, so Ravi (first) is offered reviews first. */
const DEMO_GROUPS: readonly { name: string; onCall: boolean }[] = [
  { name: 'security', onCall: false },
  { name: 'support-leads', onCall: false },
  { name: 'on-call-sre', onCall: true },
  { name: 'sre-leads', onCall: false },
];

export const DEMO_KEYS_DIR = 'demo-keys';

/**
 * `warden up --demo`: registers the demo agents through the node's own API (as the admin), so they
 * go through the same validation, activation and audit as any agent, and keeps their keys in files
 * only the current user can read. Returns the lines to print.
 */
export async function seedDemo(node: WardenNode, baseUrl: string): Promise<string[]> {
  const dataDir = node.config.dataDir;
  const adminToken =
    node.bootstrap.created?.adminToken.secret ?? (await readToken(join(dataDir, ADMIN_TOKEN_FILE)));
  if (!adminToken) return ['', `Demo agents skipped: no admin token in ${join(dataDir, ADMIN_TOKEN_FILE)}.`];
  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const res = await node.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${adminToken}` },
      ...(payload ? { payload } : {}),
    });
    if (res.statusCode >= 300)
      throw new Error(`demo setup: ${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json();
  };

  const me = (await call('GET', '/v1/me')) as { human: { id: string } };
  const keysDir = join(dataDir, DEMO_KEYS_DIR);
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const tokens = await seedPeople(call, keysDir);
  const existing = (await call('GET', '/v1/agents?limit=500')) as { agents: { name: string }[] };
  const names = new Set(existing.agents.map((a) => a.name));
  const created: string[] = [];
  for (const demo of DEMO_AGENTS) {
    if (names.has(demo.name)) continue;
    const { tier, ...fields } = demo;
    const result = (await call('POST', '/v1/agents', { ...fields, ownerId: me.human.id })) as {
      agent: { id: string; status: string };
      secret: string;
    };
    // A risky agent becomes active the one way there is: security approves its registration.
    if (result.agent.status === 'pending')
      await approveRegistration(node, call, result.agent.id, tokens.security);
    await call('PATCH', `/v1/agents/${result.agent.id}`, { tier });
    const keyFile = join(keysDir, demo.name);
    await writeFile(keyFile, `${result.secret}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    created.push(demo.name);
  }

  const shownDir = displayPath(keysDir);
  const lines = [
    '',
    `Demo: ${created.length > 0 ? 'registered ' : ''}the agents ${DEMO_AGENTS.map((a) => a.name).join(', ')};`,
    `  their keys (shown nowhere else) and the demo approvers' tokens are in ${shownDir}/.`,
  ];
  if (existsSync(join(keysDir, 'support-assistant'))) {
    lines.push(
      '',
      'Next, in another terminal in this directory: may the support assistant refund 700 EUR?',
      '(the answer is review: a support lead decides), then "Try it in five minutes" in README.md.',
      '',
      `  curl -s ${baseUrl}/v1/decide \\`,
      `    -H "Authorization: Bearer $(cat ${shownDir}/support-assistant)" \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '{"tool":"payments.refund","args":{"amount":700},"context":{"taskId":"ticket-4711"}}'`,
    );
  }
  return lines;
}

type Call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => Promise<unknown>;

/** Creates the demo people and groups once, and keeps each person's token in a 0600 file. */
async function seedPeople(call: Call, keysDir: string): Promise<{ security: string | undefined }> {
  const { humans } = (await call('GET', '/v1/humans')) as { humans: { id: string; email: string }[] };
  const ids = new Map(humans.map((h) => [h.email, h.id]));
  for (const person of DEMO_HUMANS) {
    if (ids.has(person.email)) continue;
    const { groups: _groups, ...fields } = person;
    const created = (await call('POST', '/v1/humans', fields)) as { human: { id: string } };
    ids.set(person.email, created.human.id);
    const token = (await call('POST', `/v1/humans/${created.human.id}/tokens`, { name: 'demo' })) as {
      secret: string;
    };
    const file = join(keysDir, `${person.email.split('@')[0]}.token`);
    await writeFile(file, `${token.secret}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  const { groups } = (await call('GET', '/v1/groups')) as { groups: { name: string }[] };
  const existing = new Set(groups.map((g) => g.name));
  for (const group of DEMO_GROUPS) {
    if (existing.has(group.name)) continue;
    const members = DEMO_HUMANS.filter((h) => h.groups.includes(group.name)).map((h) => ids.get(h.email));
    await call('POST', '/v1/groups', { ...group, members });
  }
  const security = DEMO_HUMANS[0];
  return { security: security && (await readToken(join(keysDir, `${security.email.split('@')[0]}.token`))) };
}

async function approveRegistration(node: WardenNode, call: Call, agentId: string, token: string | undefined) {
  if (!token) return;
  const { approvals } = (await call(
    'GET',
    `/v1/approvals?kind=registration&status=pending&agentId=${agentId}`,
  )) as {
    approvals: { id: string }[];
  };
  for (const approval of approvals) {
    const res = await node.app.inject({
      method: 'POST',
      url: `/v1/approvals/${approval.id}/approve`,
      headers: { authorization: `Bearer ${token}` },
      payload: { comment: 'demo: reviewed the registration' },
    });
    if (res.statusCode >= 300)
      throw new Error(`demo setup: approving ${approval.id} answered ${res.statusCode}: ${res.body}`);
  }
}

async function readToken(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
