import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, textOf, writeGatewayFiles } from './mcp-fixtures.js';

/**
 * Budgets and rate limits hold through the gateway as on `POST /v1/decide`: echo costs $0.01 (its
 * estimate in the servers file) against a $0.015 daily budget; get-sum may run twice an hour.
 */
describe('MCP gateway: budgets, rate limits and bad arguments', () => {
  let t: TestNode;
  let client: Client;
  let agentId: string;

  beforeAll(async () => {
    const files = await writeGatewayFiles();
    const budgetsFile = join(files.policyDir, '..', 'budgets.yaml');
    await writeFile(
      budgetsFile,
      `budgets:
  - { name: agent-daily, scope: agent, period: day, unit: usd, limit: 0.015 }
rateLimits:
  - { name: sums, scope: tool, tool: "everything.get-sum", maxCalls: 2, windowSeconds: 3600 }
`,
    );
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile, budgetsFile },
    });
    const url = `${await t.node.listen()}/mcp`;
    const seeded = await seedAgent(t.node, { roles: ['mcp-user'] });
    agentId = seeded.agent.id;
    client = await connectAgent(url, seeded.key, 'modern');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
  });

  it('refuses the call its budget has no room for, before it reaches the upstream', async () => {
    const first = await client.callTool({ name: 'everything.echo', arguments: { message: 'one' } });
    expect(textOf(first)).toBe('Echo: one');
    await t.node.mcp.idle();
    const second = await client.callTool({ name: 'everything.echo', arguments: { message: 'two' } });
    expect(second.isError).toBe(true);
    expect(textOf(second)).toContain('Warden denied this call (budget_exceeded)');
    const spent = await t.node.storage.db
      .selectFrom('budget_counters')
      .select(['spent', 'reserved'])
      .where('tenant_id', '=', t.node.bootstrap.tenant.id)
      .where('subject', '=', agentId)
      .executeTakeFirstOrThrow();
    // The first call's estimate settled as its cost; the refused one holds nothing.
    expect({ spent: Number(spent.spent), reserved: Number(spent.reserved) }).toEqual({
      spent: 10_000,
      reserved: 0,
    });
  });

  it('refuses calls over a rate limit and says when to try again', async () => {
    for (const a of [1, 2]) {
      const ok = await client.callTool({ name: 'everything.get-sum', arguments: { a, b: 1 } });
      expect(ok.isError).toBeFalsy();
    }
    const limited = await client.callTool({ name: 'everything.get-sum', arguments: { a: 3, b: 1 } });
    expect(limited.isError).toBe(true);
    expect(textOf(limited)).toMatch(/Warden denied this call \(rate_limited\).*Try again in \d+ s\./);
  });

  it('decides arguments deeper than the decide limits as invalid input and forwards nothing', async () => {
    let deep: Record<string, unknown> = { message: 'bottom' };
    for (let i = 0; i < 100; i++) deep = { nested: deep };
    const result = await client.callTool({ name: 'everything.echo', arguments: deep });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('(invalid_input)');
    const decision = await t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'code', 'outcome_status'])
      .where('agent_id', '=', agentId)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(decision).toEqual({ effect: 'deny', code: 'invalid_input', outcome_status: null });
  });

  it('refuses a request body over the size limit without deciding anything', async () => {
    const before = await t.node.storage.db
      .selectFrom('decisions')
      .select(t.node.storage.db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      client.callTool({ name: 'everything.echo', arguments: { message: 'x'.repeat(5 * 1024 * 1024) } }),
    ).rejects.toThrow();
    const after = await t.node.storage.db
      .selectFrom('decisions')
      .select(t.node.storage.db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    // Still serving.
    expect(textOf(await client.callTool({ name: 'everything.get-env', arguments: {} }))).toContain('(rule)');
  });
});
