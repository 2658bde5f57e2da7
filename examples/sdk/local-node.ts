/**
 * What every SDK example runs against: a Warden node on this machine, with the shop-assistant
 * policy, one agent and a support lead who approves refunds from the live approvals feed.
 *
 * With WARDEN_URL, WARDEN_AGENT_KEY (and WARDEN_APPROVER_TOKEN for the lead) set, the examples use
 * that node instead; otherwise they start one in this process on a temporary SQLite file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNode, loadConfig } from '@warden/server';

export interface ExampleNode {
  readonly url: string;
  readonly agentKey: string;
  /** Approves (or denies) every refund request shown to the lead, as a human would. */
  startApprover(verdict?: (tool: string | null) => 'approve' | 'deny'): { stop(): void; decided: string[] };
  close(): Promise<void>;
}

const POLICIES = fileURLToPath(new URL('./policies', import.meta.url));

export async function exampleNode(): Promise<ExampleNode> {
  const { WARDEN_URL, WARDEN_AGENT_KEY, WARDEN_APPROVER_TOKEN } = process.env;
  if (WARDEN_URL && WARDEN_AGENT_KEY) {
    return {
      url: WARDEN_URL,
      agentKey: WARDEN_AGENT_KEY,
      startApprover: (verdict) => approver(WARDEN_URL, WARDEN_APPROVER_TOKEN ?? '', verdict),
      close: async () => {},
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'warden-sdk-example-'));
  const node = await createNode(
    loadConfig({
      overrides: {
        databaseUrl: `sqlite:${join(dataDir, 'warden.db')}`,
        dataDir,
        host: '127.0.0.1',
        port: 0,
        logLevel: 'silent',
        policyDir: POLICIES,
      },
    }),
    { signalNamespace: dataDir },
  );
  try {
    const url = await node.listen();
    const admin = node.bootstrap.created?.adminToken.secret ?? '';
    const call = async <T>(method: string, path: string, body: object, token = admin): Promise<T> => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const me = (await (
      await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as {
      human: { id: string };
    };
    const lead = await call<{ human: { id: string } }>('POST', '/v1/humans', {
      email: 'lead@example.com',
      name: 'Support Lead',
      roles: ['approver'],
    });
    const leadToken = await call<{ secret: string }>('POST', `/v1/humans/${lead.human.id}/tokens`, {
      name: 'demo',
    });
    await call('POST', '/v1/groups', { name: 'support-leads', members: [lead.human.id] });
    const agent = await call<{ secret: string }>('POST', '/v1/agents', {
      name: 'shop-assistant',
      ownerId: me.human.id,
      purpose: 'Answers shop customers: orders and refunds',
      risk: 'internal',
      environments: ['production'],
      roles: ['shop-assistant'],
    });
    return {
      url,
      agentKey: agent.secret,
      startApprover: (verdict) => approver(url, leadToken.secret, verdict),
      async close() {
        await node.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await node.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The support lead: follows `GET /v1/approvals/stream` (Server-Sent Events of every request they
 * may see) and votes on each pending action request as it appears.
 */
function approver(
  url: string,
  token: string,
  verdict: (tool: string | null) => 'approve' | 'deny' = () => 'approve',
): { stop(): void; decided: string[] } {
  const controller = new AbortController();
  const decided: string[] = [];
  const seen = new Set<string>();
  void (async () => {
    const res = await fetch(`${url}/v1/approvals/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    if (!res.body) return;
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data:'));
        buffer = buffer.slice(end + 2);
        if (!data) continue;
        const request = JSON.parse(data.slice(5)) as {
          id: string;
          status: string;
          kind: string;
          tool: string | null;
        };
        if (request.status !== 'pending' || request.kind !== 'action' || seen.has(request.id)) continue;
        seen.add(request.id);
        const vote = verdict(request.tool);
        const answer = await fetch(`${url}/v1/approvals/${request.id}/${vote}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            comment: vote === 'approve' ? 'Checked the order: fine.' : 'Not without a receipt.',
          }),
        });
        if (answer.ok) decided.push(`${vote} ${request.tool}`);
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) console.error('approver stopped:', error);
  });
  return { stop: () => controller.abort(), decided };
}

/** Runs `main` when the file is executed directly (not when a test imports it). */
export function runIfMain(meta: ImportMeta, main: () => Promise<unknown>): void {
  if (process.argv[1] && fileURLToPath(meta.url) === process.argv[1]) {
    main().then(
      (summary) => console.log(JSON.stringify(summary, null, 2)),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
