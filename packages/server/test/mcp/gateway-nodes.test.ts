import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createHuman, voteOk } from '../approvals/approvals-fixtures.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, textOf, writeGatewayFiles } from './mcp-fixtures.js';

/**
 * Two nodes on one PostgreSQL database: a call held on node B for a human is released the moment the
 * human approves on node A (the approval signal crosses nodes by LISTEN/NOTIFY).
 */
describe('MCP gateway across two nodes (postgres)', () => {
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    const files = await writeGatewayFiles();
    const settings = { mcpServersFile: files.serversFile, mcpHoldSeconds: 30, mcpHoldProgressSeconds: 1 };
    a = await startTestNode('postgres', { policyDir: files.policyDir, settings });
    b = await startTestNode('postgres', { policyDir: files.policyDir, settings, shared: a.database });
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('releases a call held on node B when a human approves it on node A', async () => {
    const lead = await createHuman(a.node, a.adminToken, ['approver']);
    await createGroup(a.node, a.adminToken, 'mcp-leads', [lead]);
    const seeded = await seedAgent(a.node, { roles: ['mcp-user'] });
    const client = await connectAgent(`${await b.node.listen()}/mcp`, seeded.key, 'modern');
    try {
      const call = client.callTool(
        { name: 'everything.get-sum', arguments: { a: 300, b: 3 } },
        { timeout: 40_000 },
      );
      let approvalId: string | undefined;
      for (let i = 0; i < 200 && !approvalId; i++) {
        const row = await a.node.storage.db
          .selectFrom('approval_requests')
          .select('id')
          .where('agent_id', '=', seeded.agent.id)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        approvalId = row?.id;
        if (!approvalId) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(approvalId).toBeDefined();
      const approvedAt = Date.now();
      await voteOk(a.node, lead.token, approvalId as string, 'approve');
      const result = await call;
      expect(Date.now() - approvedAt).toBeLessThan(5_000);
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain('303');
    } finally {
      await client.close();
    }
  });
});
