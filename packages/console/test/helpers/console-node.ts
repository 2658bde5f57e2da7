import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seedDemo } from '../../../server/src/demo/demo.js';
import { addHuman, request } from '../../../server/test/helpers/api.js';
import { startTestNode, type TestNode } from '../../../server/test/helpers/test-node.js';

export const CONSOLE_PACKAGE = join(import.meta.dirname, '../..');
export const CONSOLE_DIST = join(CONSOLE_PACKAGE, 'dist');

/** Builds the console once when its dist is missing (`npm run build` makes it; a fresh clone has none). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: CONSOLE_PACKAGE, stdio: 'inherit' });
}

export interface DemoPerson {
  readonly id: string;
  readonly token: string;
}

/** A real node on SQLite listening on loopback, serving the built console, with the demo tenant. */
export interface ConsoleNode {
  readonly t: TestNode;
  readonly url: string;
  readonly adminId: string;
  /** Lena Fischer: an approver in support-leads (who decides refunds over $500). */
  readonly lena: DemoPerson;
  /** An auditor: reads everything, may change nothing. */
  readonly auditor: DemoPerson;
  readonly agents: Record<string, { id: string; key: string }>;
  /** A one-time sign-in link for a human, as the admin asks for it (or `warden console link`). */
  signInLink(humanId: string): Promise<string>;
  /** The agent asks to decide a call, over HTTP with its key. */
  decide(
    agent: string,
    body: object,
  ): Promise<{ effect: string; code: string; decisionId: string; approvalRequest: { id: string } | null }>;
  close(): Promise<void>;
}

export async function startConsoleNode(): Promise<ConsoleNode> {
  ensureConsoleBuilt();
  const t = await startTestNode('sqlite', { settings: { consoleDir: CONSOLE_DIST } });
  const url = await t.node.listen();
  await seedDemo(t.node, url);
  const keysDir = join(t.database.dataDir, 'demo-keys');
  const me = (await request(t.node, 'GET', '/v1/me', t.adminToken)).json() as { human: { id: string } };
  const humans = (await request(t.node, 'GET', '/v1/humans', t.adminToken)).json() as {
    humans: { id: string; email: string }[];
  };
  const lenaId = humans.humans.find((h) => h.email === 'lena.fischer@example.com')?.id;
  if (!lenaId) throw new Error('demo has no Lena Fischer');
  const agentList = (await request(t.node, 'GET', '/v1/agents', t.adminToken)).json() as {
    agents: { id: string; name: string }[];
  };
  const agents: Record<string, { id: string; key: string }> = {};
  for (const agent of agentList.agents) {
    agents[agent.name] = { id: agent.id, key: (await readFile(join(keysDir, agent.name), 'utf8')).trim() };
  }
  const auditor = await addHuman(t.node, ['auditor']);
  return {
    t,
    url,
    adminId: me.human.id,
    lena: { id: lenaId, token: (await readFile(join(keysDir, 'lena.fischer.token'), 'utf8')).trim() },
    auditor: { id: auditor.id, token: auditor.token },
    agents,
    async signInLink(humanId) {
      const res = await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken, { humanId });
      if (res.statusCode !== 201) throw new Error(`sign-in link: ${res.statusCode} ${res.body}`);
      return (res.json() as { url: string }).url;
    },
    async decide(agent, body) {
      const key = agents[agent]?.key;
      const res = await fetch(`${url}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Awaited<ReturnType<ConsoleNode['decide']>>;
    },
    close: () => t.close(),
  };
}
