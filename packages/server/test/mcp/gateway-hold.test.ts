import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createHuman, type Person, voteOk } from '../approvals/approvals-fixtures.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, textOf, writeGatewayFiles } from './mcp-fixtures.js';

/** A call whose rule wants a human first is held open (here up to 20 s) while the human decides. */
describe('MCP gateway holds a reviewed call for its human', () => {
  let t: TestNode;
  let url: string;
  let lead: Person;

  beforeAll(async () => {
    const files = await writeGatewayFiles();
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile, mcpHoldSeconds: 20, mcpHoldProgressSeconds: 1 },
    });
    url = `${await t.node.listen()}/mcp`;
    lead = await createHuman(t.node, t.adminToken, ['approver']);
    await createGroup(t.node, t.adminToken, 'mcp-leads', [lead]);
  }, 60_000);

  afterAll(() => t?.close());

  async function agent(): Promise<{ client: Client; agentId: string }> {
    const seeded = await seedAgent(t.node, { roles: ['mcp-user'] });
    return { client: await connectAgent(url, seeded.key, 'modern'), agentId: seeded.agent.id };
  }

  /** The request the held call opened, once it is in storage. */
  async function pendingRequestOf(agentId: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const row = await t.node.storage.db
        .selectFrom('approval_requests')
        .select('id')
        .where('agent_id', '=', agentId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (row) return row.id;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('no pending request');
  }

  it('runs the call once a human approves during the hold, with progress while it waits', async () => {
    const { client, agentId } = await agent();
    const progress: { progress: number; message?: string }[] = [];
    const call = client.callTool(
      { name: 'everything.get-sum', arguments: { a: 400, b: 2 } },
      { onprogress: (p) => progress.push(p), timeout: 30_000 },
    );
    const approvalId = await pendingRequestOf(agentId);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await voteOk(t.node, lead.token, approvalId, 'approve');
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('402');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]?.message).toContain(approvalId);
    await t.node.mcp.idle();

    const decisions = await t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'code', 'outcome_status'])
      .where('agent_id', '=', agentId)
      .orderBy('created_at')
      .execute();
    // The review, then the approved decision that ran (and recorded its outcome).
    expect(decisions).toEqual([
      { effect: 'review', code: 'rule', outcome_status: null },
      { effect: 'allow', code: 'approved', outcome_status: 'succeeded' },
    ]);
    await client.close();
  });

  it('refuses the call when the human denies it, with the comment', async () => {
    const { client, agentId } = await agent();
    const call = client.callTool(
      { name: 'everything.get-sum', arguments: { a: 900, b: 1 } },
      { timeout: 30_000 },
    );
    const approvalId = await pendingRequestOf(agentId);
    await voteOk(t.node, lead.token, approvalId, 'deny', 'not today');
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Approval request ${approvalId} was denied: not today`);
    await client.close();
  });

  it('ends the hold at once when the agent is killed', async () => {
    const { client, agentId } = await agent();
    const started = Date.now();
    const call = client.callTool(
      { name: 'everything.get-sum', arguments: { a: 700, b: 1 } },
      { timeout: 30_000 },
    );
    const approvalId = await pendingRequestOf(agentId);
    const killed = await request(t.node, 'POST', `/v1/kill/agents/${agentId}`, t.adminToken, {
      reason: 'runaway',
    });
    expect(killed.statusCode).toBe(200);
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Approval request ${approvalId} was cancelled`);
    expect(Date.now() - started).toBeLessThan(10_000);
    await client.close();
  });

  it('stops holding when the client cancels, and leaves the request open for the human', async () => {
    const { client, agentId } = await agent();
    const abort = new AbortController();
    const call = client.callTool(
      { name: 'everything.get-sum', arguments: { a: 600, b: 1 } },
      { signal: abort.signal, timeout: 30_000 },
    );
    const approvalId = await pendingRequestOf(agentId);
    abort.abort();
    await expect(call).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const row = await t.node.storage.db
      .selectFrom('approval_requests')
      .select('status')
      .where('id', '=', approvalId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    await client.close();
  });
});
