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
  const existing = (await call('GET', '/v1/agents?limit=500')) as { agents: { name: string }[] };
  const names = new Set(existing.agents.map((a) => a.name));
  const keysDir = join(dataDir, DEMO_KEYS_DIR);
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  for (const demo of DEMO_AGENTS) {
    if (names.has(demo.name)) continue;
    const { tier, ...fields } = demo;
    const result = (await call('POST', '/v1/agents', { ...fields, ownerId: me.human.id })) as {
      agent: { id: string; status: string };
      secret: string;
    };
    if (result.agent.status === 'pending') await call('POST', `/v1/agents/${result.agent.id}/activate`);
    await call('PATCH', `/v1/agents/${result.agent.id}`, { tier });
    const keyFile = join(keysDir, demo.name);
    await writeFile(keyFile, `${result.secret}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    created.push(demo.name);
  }

  const shownDir = displayPath(keysDir);
  const lines = [''];
  lines.push(
    created.length > 0
      ? `Demo agents registered: ${created.join(', ')}. Their keys (shown nowhere else) are in ${shownDir}/.`
      : `Demo agents: ${DEMO_AGENTS.map((a) => a.name).join(', ')}; their keys are in ${shownDir}/.`,
  );
  if (existsSync(join(keysDir, 'support-assistant'))) {
    lines.push('', 'Ask Warden whether the support assistant may refund 700 EUR (a human must approve):', '');
    lines.push(
      `  curl -s ${baseUrl}/v1/decide \\`,
      `    -H "Authorization: Bearer $(cat ${shownDir}/support-assistant)" \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '{"tool":"payments.refund","args":{"amount":700},"context":{"taskId":"ticket-4711","initiator":"${me.human.id}"}}'`,
    );
  }
  return lines;
}

async function readToken(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
