import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createHuman, voteOk } from '../approvals/approvals-fixtures.js';
import { auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, textOf, writeGatewayFiles } from './mcp-fixtures.js';

type Era = 'modern' | 'legacy';

describe.each(['modern', 'legacy'] as const)(
  'MCP gateway, %s-era client, over server-everything',
  (era: Era) => {
    let t: TestNode;
    let url: string;
    let user: { key: string; agentId: string };
    let reader: { key: string; agentId: string };
    let userClient: Client;

    beforeAll(async () => {
      const files = await writeGatewayFiles();
      t = await startTestNode('sqlite', {
        policyDir: files.policyDir,
        // A short hold: reviewed calls answer pending after a second.
        settings: { mcpServersFile: files.serversFile, mcpHoldSeconds: 1, mcpHoldProgressSeconds: 1 },
      });
      url = `${await t.node.listen()}/mcp`;
      const u = await seedAgent(t.node, { roles: ['mcp-user'] });
      const r = await seedAgent(t.node, { roles: ['mcp-reader'] });
      user = { key: u.key, agentId: u.agent.id };
      reader = { key: r.key, agentId: r.agent.id };
      userClient = await connectAgent(url, user.key, era);
    }, 60_000);

    afterAll(async () => {
      await userClient?.close();
      await t?.close();
    });

    it('negotiates the era the client speaks', () => {
      const version = userClient.getNegotiatedProtocolVersion();
      if (era === 'modern') expect(version).toBe('2026-07-28');
      else expect(version).not.toBe('2026-07-28');
    });

    it('lists, per agent, only the tools its policies could allow, under their Warden names', async () => {
      const { tools } = await userClient.listTools();
      const names = tools.map((tool) => tool.name).sort();
      expect(names).toEqual([
        'everything.echo',
        'everything.get-sum',
        'everything.trigger-long-running-operation',
      ]);
      // Descriptions and schemas pass through unchanged.
      const echo = tools.find((tool) => tool.name === 'everything.echo');
      expect(echo?.inputSchema.properties).toHaveProperty('message');

      const readerClient = await connectAgent(url, reader.key, era);
      try {
        const readerTools = (await readerClient.listTools()).tools.map((tool) => tool.name);
        expect(readerTools).toEqual(['everything.get-tiny-image']);
      } finally {
        await readerClient.close();
      }
    });

    it('forwards an allowed call and records the decision and its outcome in the audit', async () => {
      const result = await userClient.callTool({
        name: 'everything.echo',
        arguments: { message: `hi ${era}` },
      });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe(`Echo: hi ${era}`);
      await t.node.mcp.idle();

      const decision = await t.node.storage.db
        .selectFrom('decisions')
        .selectAll()
        .where('agent_id', '=', user.agentId)
        .where('tool', '=', 'everything.echo')
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      expect(decision.effect).toBe('allow');
      expect(decision.outcome_status).toBe('succeeded');
      expect(JSON.parse(decision.detail).context.interface).toBe('mcp');
      const events = await auditEventsOf(t.node, decision.id);
      expect(events.map((e) => e.type)).toEqual(['decision.allow', 'decision.outcome']);
    });

    it('never forwards a denied call: the agent reads the code and the reason as a tool error', async () => {
      const result = await userClient.callTool({ name: 'everything.get-env', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Warden denied this call (rule)');
      expect(textOf(result)).toContain("The server's environment is not for agents");
      expect(textOf(result)).not.toContain('PATH');
      const decision = await t.node.storage.db
        .selectFrom('decisions')
        .select(['effect', 'outcome_status'])
        .where('agent_id', '=', user.agentId)
        .where('tool', '=', 'everything.get-env')
        .executeTakeFirstOrThrow();
      expect(decision).toEqual({ effect: 'deny', outcome_status: null });
    });

    it('decides a hidden tool called by name like any other: denied and audited', async () => {
      const result = await userClient.callTool({ name: 'everything.get-tiny-image', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('(no_grant)');
    });

    it('answers a review with a pending result, and runs the retry once after a human approves', async () => {
      const args = { a: 500 + (era === 'modern' ? 1 : 2), b: 1 };
      const first = await userClient.callTool({ name: 'everything.get-sum', arguments: args });
      expect(first.isError).toBe(true);
      const pending = first.structuredContent as {
        status: string;
        approvalId: string;
        retryAfterSeconds: number;
      };
      expect(pending.status).toBe('pending_approval');
      expect(pending.approvalId).toMatch(/^apr_/);
      expect(textOf(first)).toContain('needs a human');

      // Asking again before anyone decided waits on the same request: approvers are not asked twice.
      const repeated = await userClient.callTool({ name: 'everything.get-sum', arguments: args });
      expect((repeated.structuredContent as { approvalId?: string }).approvalId).toBe(pending.approvalId);
      const requests = await t.node.storage.db
        .selectFrom('approval_requests')
        .select('id')
        .where('agent_id', '=', user.agentId)
        .where('status', '=', 'pending')
        .execute();
      expect(requests.map((r) => r.id)).toEqual([pending.approvalId]);

      const lead = await createHuman(t.node, t.adminToken, ['approver']);
      await createGroup(t.node, t.adminToken, 'mcp-leads', [lead]);
      await voteOk(t.node, lead.token, pending.approvalId, 'approve');

      // Changed arguments do not use the approval: they are a new call, reviewed again.
      const changed = await userClient.callTool({ name: 'everything.get-sum', arguments: { ...args, b: 2 } });
      expect((changed.structuredContent as { status?: string }).status).toBe('pending_approval');

      const retried = await userClient.callTool({ name: 'everything.get-sum', arguments: args });
      expect(retried.isError).toBeFalsy();
      expect(textOf(retried)).toContain(String(args.a + args.b));

      // Once: the next identical call needs a new approval.
      const again = await userClient.callTool({ name: 'everything.get-sum', arguments: args });
      expect((again.structuredContent as { status?: string }).status).toBe('pending_approval');
    });

    it('governs resources as <server>.resources.read: listed where visible, each read decided', async () => {
      const { resources } = await userClient.listResources();
      expect(resources.length).toBeGreaterThan(0);
      const document = resources.find((r) => r.uri.startsWith('demo://resource/static/document/'));
      const read = await userClient.readResource({ uri: document?.uri as string });
      expect(read.contents.length).toBeGreaterThan(0);
      const other = resources.find((r) => !r.uri.startsWith('demo://resource/static/document/'));
      if (other) {
        await expect(userClient.readResource({ uri: other.uri })).rejects.toThrow(
          /Warden denied this call \(no_grant\)/,
        );
      }
      await expect(userClient.readResource({ uri: 'demo://nowhere' })).rejects.toThrow(/unknown resource/);
      const decisions = await t.node.storage.db
        .selectFrom('decisions')
        .select(['tool', 'effect'])
        .where('agent_id', '=', user.agentId)
        .where('tool', '=', 'everything.resources.read')
        .execute();
      expect(decisions.map((d) => d.effect)).toContain('allow');

      const readerClient = await connectAgent(url, reader.key, era);
      try {
        expect((await readerClient.listResources()).resources).toEqual([]);
      } finally {
        await readerClient.close();
      }
    });

    it('governs prompts as <server>.prompts.get, named <server>.<prompt> on /mcp', async () => {
      const names = (await userClient.listPrompts()).prompts.map((p) => p.name);
      expect(names).toContain('everything.simple-prompt');
      const prompt = await userClient.getPrompt({ name: 'everything.simple-prompt' });
      expect(prompt.messages.length).toBeGreaterThan(0);
      await expect(
        userClient.getPrompt({ name: 'everything.args-prompt', arguments: { city: 'Oslo' } }),
      ).rejects.toThrow(/Warden denied this call/);
    });

    it('refuses a bad task context before deciding anything, naming the field', async () => {
      await expect(
        userClient.callTool({
          name: 'everything.echo',
          arguments: { message: 'x' },
          _meta: { warden: { taskId: 'not a valid id!' } },
        }),
      ).rejects.toThrow(/params\._meta\.warden\.taskId/);
    });

    it('answers an unknown tool with a protocol error', async () => {
      await expect(userClient.callTool({ name: 'nowhere.tool', arguments: {} })).rejects.toThrow(
        /unknown tool/,
      );
    });
  },
);
