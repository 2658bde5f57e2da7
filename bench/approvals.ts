/**
 * Approval release benchmark: Warden in its own process (`warden up`, SQLite, durable audit). An
 * agent's call is reviewed, the agent long-polls GET /v1/approvals/:id/wait, and a human approves;
 * the figure is the time from the start of the human's approve call to the waiting agent's answer.
 * 1,000 approvals, one after another, on one node. Last line: one JSON object.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { recordResult } from './machine.js';
import { startWardenProcess, type WardenProcess } from './warden-process.js';

const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 1_000);
const WARMUP = 50;
/** How long the agent has been waiting before the human approves (the wait is surely registered). */
const WAIT_HEAD_START_MS = 5;

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: refunds
  owner: finance-policy@example.com
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: refund-review
      effect: review
      tools: [payments.refund]
      reason: Every refund needs a support lead.
      approval:
        approvers: ["group:support-leads"]
        timeout: 1h
`;

async function main() {
  const server = await startServer();
  try {
    const { agentKey, approverToken } = await setUp(server);
    const agent = new Pool(server.url, { connections: 2, pipelining: 1 });
    const human = new Pool(server.url, { connections: 1, pipelining: 1 });
    const releases: number[] = [];
    for (let i = 0; i < WARMUP + APPROVALS; i++) {
      const decision = await call(agent, 'POST', '/v1/decide', agentKey, {
        tool: 'payments.refund',
        args: { amount: 600 + i, order: `o-${i}` },
      });
      const approvalId = (decision as { approvalRequest: { id: string } }).approvalRequest.id;
      let released = 0;
      const waited = call(agent, 'GET', `/v1/approvals/${approvalId}/wait?timeoutSeconds=30`, agentKey).then(
        (body) => {
          released = performance.now();
          return body as { approval: { status: string }; timedOut: boolean };
        },
      );
      await new Promise((resolve) => setTimeout(resolve, WAIT_HEAD_START_MS));
      const started = performance.now();
      await call(human, 'POST', `/v1/approvals/${approvalId}/approve`, approverToken, {});
      const answer = await waited;
      if (answer.approval.status !== 'approved' || answer.timedOut) {
        throw new Error(`approval ${approvalId} was not released: ${JSON.stringify(answer)}`);
      }
      if (i >= WARMUP) releases.push(released - started);
    }
    await agent.close();
    await human.close();
    releases.sort((a, b) => a - b);
    const p50 = round(percentile(releases, 0.5));
    const p99 = round(percentile(releases, 0.99));
    const max = round(releases[releases.length - 1] ?? 0);
    console.log(`${APPROVALS} approvals: release p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`);
    recordResult('approvals (approve call -> waiting agent released, one node, SQLite synchronous=FULL)', [
      `${APPROVALS} approvals: release p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (target p99 <= 50 ms)`,
    ]);
    console.log(JSON.stringify({ bench: 'approvals', release_p50_ms: p50, release_p99_ms: p99 }));
  } finally {
    await server.stop();
  }
}

async function call(pool: Pool, method: 'GET' | 'POST', path: string, token: string, body?: object) {
  const res = await pool.request({
    method,
    path,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.body.json()) as unknown;
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/** An approver in the support-leads group and a support agent, made through the API. */
async function setUp(server: WardenProcess): Promise<{ agentKey: string; approverToken: string }> {
  const admin = async (method: string, path: string, body: object) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const lead = (await admin('POST', '/v1/humans', {
    email: 'lead@example.com',
    name: 'Support Lead',
    roles: ['approver'],
  })) as { human: { id: string } };
  const token = (await admin('POST', `/v1/humans/${lead.human.id}/tokens`, { name: 'bench' })) as {
    secret: string;
  };
  await admin('POST', '/v1/groups', { name: 'support-leads', members: [lead.human.id] });
  const me = (await (
    await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${server.adminToken}` } })
  ).json()) as { human: { id: string } };
  const agent = (await admin('POST', '/v1/agents', {
    name: 'bench-support',
    ownerId: me.human.id,
    purpose: 'benchmark load',
    risk: 'internal',
    environments: ['production'],
    roles: ['support-assistant'],
  })) as { secret: string };
  return { agentKey: agent.secret, approverToken: token.secret };
}

async function startServer(): Promise<WardenProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const policyDir = join(dataDir, 'policies');
  mkdirSync(policyDir);
  writeFileSync(join(policyDir, 'refunds.yaml'), POLICY);
  return startWardenProcess(dataDir, { WARDEN_POLICY_DIR: policyDir });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

await main();
