import { rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGroup,
  createHumans,
  type Person,
  voteOk,
  writePolicyDir,
} from '../../../server/test/approvals/approvals-fixtures.js';
import { addHuman, request } from '../../../server/test/helpers/api.js';
import { seedAgent } from '../../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../../server/test/helpers/test-node.js';

/** The policy the SDK's tests and examples run under: one tool per way a call can go. */
export const SDK_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: sdk-agents
  owner: policy-author@example.test
spec:
  agents:
    roles: [sdk-agent]
  rules:
    - id: lookups-allowed
      effect: allow
      tools: [orders.lookup, weather.current, docs.search]
      reason: Reading is fine
    - id: refund-small
      effect: allow
      tools: [payments.refund]
      when: args.amount <= 500
      reason: Small refunds are fine
    - id: refund-review
      effect: review
      tools: [payments.refund]
      when: args.amount > 500
      reason: Refunds over $500 need a support lead
      approval:
        approvers: ["group:support-leads"]
        timeout: 1h
    - id: close-then-review
      effect: review
      tools: [tickets.close]
      reason: Closed tickets are reviewed afterwards
      approval:
        mode: post
        approvers: ["group:support-leads"]
        timeout: 1h
    - id: delete-denied
      effect: deny
      tools: [orders.delete]
      reason: Agents never delete orders
`;

export interface SdkNode {
  readonly t: TestNode;
  /** The listening node's base URL. */
  readonly url: string;
  readonly agentId: string;
  readonly key: string;
  /** A support lead, who may approve refunds. */
  readonly lead: Person;
  /** The agents' owner and a security officer: an access request goes to one, then the other. */
  readonly owner: Person;
  readonly security: Person;
  /** Approves or denies a request as the lead, once it is open. */
  vote(approvalId: string, verdict: 'approve' | 'deny', comment?: string): Promise<unknown>;
  /** A second agent of the same kind (its own key). */
  newAgent(options?: { maxChildren?: number }): Promise<{ agentId: string; key: string }>;
  close(): Promise<void>;
}

/** A real node on SQLite, listening on loopback, with the SDK policy, one agent and a support lead. */
export async function startSdkNode(): Promise<SdkNode> {
  const policyDir = await writePolicyDir(SDK_POLICY);
  const t = await startTestNode('sqlite', { policyDir });
  const url = await t.node.listen();
  const leads = await createHumans(t.node, t.adminToken, 1);
  await createGroup(t.node, t.adminToken, 'support-leads', leads);
  const lead = leads[0] as Person;
  const owner = await addHuman(t.node, ['owner']);
  const security = await addHuman(t.node, ['security']);
  const newAgent = async (options: { maxChildren?: number } = {}) => {
    const seeded = await seedAgent(t.node, { roles: ['sdk-agent'], ownerId: owner.id });
    if (options.maxChildren !== undefined) {
      const res = await request(t.node, 'PATCH', `/v1/agents/${seeded.agent.id}`, t.adminToken, {
        maxChildren: options.maxChildren,
      });
      if (res.statusCode !== 200) throw new Error(`PATCH agent: ${res.statusCode} ${res.body}`);
    }
    return { agentId: seeded.agent.id, key: seeded.key };
  };
  const first = await newAgent({ maxChildren: 5 });
  return {
    t,
    url,
    agentId: first.agentId,
    key: first.key,
    lead,
    owner,
    security,
    vote: (approvalId, verdict, comment) => voteOk(t.node, lead.token, approvalId, verdict, comment),
    newAgent,
    async close() {
      await t.close();
      await rm(policyDir, { recursive: true, force: true });
    },
  };
}

/** The pending pre-mode request of the agent (read as a human), polled until one exists. */
export async function latestPendingApproval(
  node: SdkNode,
  agentId: string,
  timeoutMs = 5_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(
      node.t.node,
      'GET',
      `/v1/approvals?status=pending&agentId=${agentId}`,
      node.lead.token,
    );
    const approvals = (res.json().approvals ?? []) as { id: string; mode: string }[];
    const id = approvals.find((a) => a.mode === 'pre')?.id;
    if (id) return id;
    if (Date.now() > deadline) throw new Error(`no pending approval for ${agentId} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A loopback URL where nothing listens: connections are refused. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * A reverse proxy in front of a node, as a load balancer stands there: it answers the first
 * `failures` requests matching `matches` with `status` (and the error envelope Warden uses for 503),
 * and forwards everything else. `refused` counts what it answered itself.
 */
export async function startProxy(
  target: string,
  options: {
    failures: number;
    status: number;
    matches?: (method: string, url: string) => boolean;
    body?: string;
  },
): Promise<{ url: string; refused: () => number; forwarded: () => number; close(): Promise<void> }> {
  const upstream = new URL(target);
  let refused = 0;
  let forwarded = 0;
  const server: Server = createServer((req, res) => {
    const matches = options.matches?.(req.method ?? 'GET', req.url ?? '/') ?? true;
    if (matches && refused < options.failures) {
      refused++;
      req.resume();
      res.writeHead(options.status, { 'content-type': 'application/json' });
      res.end(
        options.body ??
          JSON.stringify({
            error: {
              code: 'governance_unavailable',
              message: 'upstream unavailable',
              requestId: 'req_proxy',
            },
          }),
      );
      return;
    }
    forwarded++;
    const proxied = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on('error', () => res.destroy());
    req.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused: () => refused,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
