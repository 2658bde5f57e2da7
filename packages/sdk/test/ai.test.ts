import { generateText, type ModelMessage, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { request } from '../../server/test/helpers/api.js';
import { wardenApprovalResponses, wardenTools } from '../src/ai.js';
import { Warden } from '../src/index.js';
import { type SdkNode, startSdkNode } from './helpers/warden-node.js';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A scripted model: each call answers the next entry (tool calls, or a text). */
function scriptedModel(script: ({ call: string; input: object } | string)[]) {
  let step = 0;
  return new MockLanguageModelV3({
    doGenerate: async () => {
      const next = script[step++] ?? 'done';
      if (typeof next === 'string') {
        return {
          content: [{ type: 'text', text: next }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage,
          warnings: [],
        };
      }
      return {
        content: [
          {
            type: 'tool-call',
            toolCallId: `call-${step}`,
            toolName: next.call,
            input: JSON.stringify(next.input),
          },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage,
        warnings: [],
      };
    },
  });
}

describe('Vercel AI SDK adapter (ai@6)', () => {
  let node: SdkNode;
  let warden: Warden;
  const ran: string[] = [];

  const tools = () =>
    wardenTools(
      warden,
      {
        lookup: tool({
          description: 'Look an order up',
          inputSchema: z.object({ orderId: z.string() }),
          execute: async ({ orderId }) => {
            ran.push(`lookup ${orderId}`);
            return { orderId, status: 'shipped' };
          },
        }),
        refund: tool({
          description: 'Refund an order',
          inputSchema: z.object({ amount: z.number(), order: z.string() }),
          execute: async ({ amount, order }) => {
            ran.push(`refund ${order} ${amount}`);
            return { refunded: amount };
          },
        }),
        deleteOrder: tool({
          description: 'Delete an order',
          inputSchema: z.object({ orderId: z.string() }),
          execute: async ({ orderId }) => {
            ran.push(`delete ${orderId}`);
            return 'deleted';
          },
        }),
      },
      {
        lookup: { name: 'orders.lookup' },
        refund: { name: 'payments.refund', costOf: () => ({ usd: 0 }) },
        deleteOrder: { name: 'orders.delete' },
      },
    );

  beforeAll(async () => {
    node = await startSdkNode();
    warden = new Warden({ url: node.url, agentKey: node.key });
  });
  afterAll(() => node?.close());

  it('runs an allowed tool and hands a denied one back to the model as a tool error', async () => {
    const result = await generateText({
      model: scriptedModel([
        { call: 'lookup', input: { orderId: 'o-1' } },
        { call: 'deleteOrder', input: { orderId: 'o-1' } },
        'The order shipped; I may not delete it.',
      ]),
      tools: tools(),
      prompt: 'Where is order o-1? Then delete it.',
      stopWhen: ({ steps }) => steps.length >= 3,
    });
    expect(result.text).toBe('The order shipped; I may not delete it.');
    expect(ran).toEqual(['lookup o-1']);
    const errors = result.steps.flatMap((s) => s.content).filter((p) => p.type === 'tool-error');
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as { error: unknown }).error)).toContain('Agents never delete orders');
    const outcomes = await request(
      node.t.node,
      'GET',
      `/v1/audit/events?type=decision.outcome&agent=${node.agentId}`,
      node.t.adminToken,
    );
    expect(outcomes.json().events).toHaveLength(1);
  });

  it('maps a Warden review onto the approval flow: the human approves in Warden, the run goes on', async () => {
    ran.length = 0;
    const model = scriptedModel([{ call: 'refund', input: { amount: 700, order: 'o-7' } }, 'Refunded.']);
    const governed = tools();
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order o-7: $700' }];
    const first = await generateText({ model, tools: governed, messages });
    const requests = first.content.filter((p) => p.type === 'tool-approval-request');
    expect(requests).toHaveLength(1);
    expect(ran).toEqual([]);

    const pending = await request(
      node.t.node,
      'GET',
      `/v1/approvals?status=pending&agentId=${node.agentId}`,
      node.lead.token,
    );
    const approvalId = pending.json().approvals[0].id as string;
    const answers = wardenApprovalResponses(warden, first.content);
    await node.vote(approvalId, 'approve', 'ok');
    const responses = await answers;
    expect(responses).toEqual([
      {
        type: 'tool-approval-response',
        approvalId: requests[0]?.approvalId,
        approved: true,
        reason: expect.any(String),
      },
    ]);

    messages.push(...first.response.messages, { role: 'tool', content: responses });
    const second = await generateText({ model, tools: governed, messages });
    expect(second.text).toBe('Refunded.');
    expect(ran).toEqual(['refund o-7 700']);
    const approval = await request(node.t.node, 'GET', `/v1/approvals/${approvalId}`, node.lead.token);
    expect(approval.json().consumedAt).not.toBeNull();
  });

  it('resumes in another process: the approval response names the Warden request', async () => {
    ran.length = 0;
    const model = scriptedModel([{ call: 'refund', input: { amount: 720, order: 'o-8' } }, 'Refunded.']);
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order o-8: $720' }];
    const first = await generateText({ model, tools: tools(), messages });
    const pending = await request(
      node.t.node,
      'GET',
      `/v1/approvals?status=pending&agentId=${node.agentId}`,
      node.lead.token,
    );
    const approvalId = pending.json().approvals[0].id as string;
    const answers = wardenApprovalResponses(warden, first.content);
    await node.vote(approvalId, 'approve');
    messages.push(...first.response.messages, { role: 'tool', content: await answers });

    // A new client and tool set hold nothing of the first run: only the messages carry it.
    const serialized = JSON.parse(JSON.stringify(messages)) as ModelMessage[];
    warden = new Warden({ url: node.url, agentKey: node.key });
    const second = await generateText({ model, tools: tools(), messages: serialized });
    expect(second.text).toBe('Refunded.');
    expect(ran).toEqual(['refund o-8 720']);
    const approval = await request(node.t.node, 'GET', `/v1/approvals/${approvalId}`, node.lead.token);
    expect(approval.json().consumedAt).not.toBeNull();
    const open = await request(
      node.t.node,
      'GET',
      `/v1/approvals?status=pending&agentId=${node.agentId}`,
      node.lead.token,
    );
    expect(open.json().approvals).toEqual([]);
  });

  it('answers a review the human denied with approved: false, and the tool never runs', async () => {
    ran.length = 0;
    const model = scriptedModel([
      { call: 'refund', input: { amount: 950, order: 'o-9' } },
      'I could not refund.',
    ]);
    const governed = tools();
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order o-9: $950' }];
    const first = await generateText({ model, tools: governed, messages });
    const pending = await request(
      node.t.node,
      'GET',
      `/v1/approvals?status=pending&agentId=${node.agentId}`,
      node.lead.token,
    );
    const approvalId = pending.json().approvals[0].id as string;
    const answers = wardenApprovalResponses(warden, first.content);
    await node.vote(approvalId, 'deny', 'too much');
    const responses = await answers;
    expect(responses[0]).toMatchObject({ approved: false });
    expect(responses[0]?.reason).toContain('too much');

    messages.push(...first.response.messages, { role: 'tool', content: responses });
    const second = await generateText({ model, tools: governed, messages });
    expect(second.text).toBe('I could not refund.');
    expect(ran).toEqual([]);
  });
});
