import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { createAgent, MiddlewareError, tool } from 'langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { request } from '../../server/test/helpers/api.js';
import { Warden, WardenDenied } from '../src/index.js';
import { wardenMiddleware } from '../src/langchain.js';
import { latestPendingApproval, type SdkNode, startSdkNode } from './helpers/warden-node.js';

describe('LangChain.js adapter (langchain@1.5)', () => {
  let node: SdkNode;
  let warden: Warden;
  const ran: string[] = [];

  const tools = [
    tool(
      async ({ orderId }: { orderId: string }) => {
        ran.push(`lookup ${orderId}`);
        return `order ${orderId} shipped`;
      },
      { name: 'lookup', description: 'Look an order up', schema: z.object({ orderId: z.string() }) },
    ),
    tool(
      async ({ amount, order }: { amount: number; order: string }) => {
        ran.push(`refund ${order} ${amount}`);
        return `refunded ${amount}`;
      },
      {
        name: 'refund',
        description: 'Refund an order',
        schema: z.object({ amount: z.number(), order: z.string() }),
      },
    ),
    tool(
      async ({ orderId }: { orderId: string }) => {
        ran.push(`delete ${orderId}`);
        return 'deleted';
      },
      { name: 'delete_order', description: 'Delete an order', schema: z.object({ orderId: z.string() }) },
    ),
  ];
  const names = {
    lookup: { name: 'orders.lookup' },
    refund: { name: 'payments.refund' },
    delete_order: { name: 'orders.delete' },
  };

  const toolMessages = (messages: unknown[]) =>
    messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m));

  beforeAll(async () => {
    node = await startSdkNode();
    warden = new Warden({ url: node.url, agentKey: node.key });
  });
  afterAll(() => node?.close());

  it('runs an allowed tool; a denied one answers the model with an error ToolMessage', async () => {
    ran.length = 0;
    const model = fakeModel()
      .respondWithTools([{ name: 'lookup', args: { orderId: 'o-1' }, id: 'call-1' }])
      .respondWithTools([{ name: 'delete_order', args: { orderId: 'o-1' }, id: 'call-2' }])
      .respond(new AIMessage('Shipped; deleting is not allowed.'));
    const agent = createAgent({ model, tools, middleware: [wardenMiddleware(warden, { tools: names })] });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'Where is o-1? Delete it.' }] });
    expect(ran).toEqual(['lookup o-1']);
    const [lookup, denied] = toolMessages(result.messages);
    expect(lookup?.content).toBe('order o-1 shipped');
    expect(denied).toMatchObject({ status: 'error', tool_call_id: 'call-2' });
    expect(String(denied?.content)).toContain('Agents never delete orders');
    expect(result.messages.at(-1)?.content).toBe('Shipped; deleting is not allowed.');
  });

  it('holds a reviewed call until the human approves, then runs it once with the approval', async () => {
    ran.length = 0;
    const model = fakeModel()
      .respondWithTools([{ name: 'refund', args: { amount: 700, order: 'o-7' }, id: 'call-1' }])
      .respond(new AIMessage('Refunded.'));
    const agent = createAgent({ model, tools, middleware: [wardenMiddleware(warden, { tools: names })] });
    const running = warden.task({ taskId: 'lc-refund-o-7', onBehalfOf: 'customer-7' }, () =>
      agent.invoke({ messages: [{ role: 'user', content: 'Refund o-7: $700' }] }),
    );
    const approvalId = await latestPendingApproval(node, node.agentId);
    expect(ran).toEqual([]);
    await node.vote(approvalId, 'approve');
    const result = await running;
    expect(ran).toEqual(['refund o-7 700']);
    expect(result.messages.at(-1)?.content).toBe('Refunded.');
    const trace = await request(node.t.node, 'GET', '/v1/tasks/lc-refund-o-7/trace', node.t.adminToken);
    expect(trace.statusCode, trace.body).toBe(200);
    expect(trace.json().task).toMatchObject({ onBehalfOf: 'customer-7' });
  });

  it("with onDeny: 'throw', a rejected review fails the run with WardenDenied", async () => {
    ran.length = 0;
    const model = fakeModel()
      .respondWithTools([{ name: 'refund', args: { amount: 990, order: 'o-9' }, id: 'call-1' }])
      .respond(new AIMessage('never'));
    const agent = createAgent({
      model,
      tools,
      middleware: [wardenMiddleware(warden, { tools: names, onDeny: 'throw' })],
    });
    const running = agent
      .invoke({ messages: [{ role: 'user', content: 'Refund o-9' }] })
      .catch((e: unknown) => e);
    const approvalId = await latestPendingApproval(node, node.agentId);
    await node.vote(approvalId, 'deny', 'too much');
    const error = await running;
    // LangChain wraps what a middleware throws in its MiddlewareError; ours is its cause.
    expect(error).toBeInstanceOf(MiddlewareError);
    expect((error as Error).cause).toBeInstanceOf(WardenDenied);
    expect((error as Error).cause).toMatchObject({ code: 'approval_denied', approvalId });
    expect(ran).toEqual([]);
  });
});
