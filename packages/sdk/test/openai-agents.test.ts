import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  RunState,
  run,
  setTracingDisabled,
  tool,
  Usage,
} from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { request } from '../../server/test/helpers/api.js';
import { Warden } from '../src/index.js';
import { wardenApprovals, wardenTool } from '../src/openai-agents.js';
import { type SdkNode, startSdkNode } from './helpers/warden-node.js';

setTracingDisabled(true);

/**
 * A scripted model: it asks for the next tool call of its script while the conversation has fewer
 * tool results than calls made, then answers with `text`. Stateless, so a resumed run asks it again.
 */
class ScriptedModel implements Model {
  constructor(
    private readonly calls: { name: string; args: object }[],
    private readonly text: string,
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = (typeof request.input === 'string' ? [] : request.input) as AgentInputItem[];
    const done = items.filter((i) => i.type === 'function_call_result').length;
    const next = this.calls[done];
    const output: ModelResponse['output'] = next
      ? [
          {
            type: 'function_call',
            callId: `call-${done + 1}`,
            name: next.name,
            arguments: JSON.stringify(next.args),
            status: 'completed',
          },
        ]
      : [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: this.text }],
          },
        ];
    return { usage: new Usage(), output };
  }

  // biome-ignore lint/correctness/useYield: the tests never stream
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed in these tests');
  }
}

describe('OpenAI Agents JS adapter (@openai/agents@0.14)', () => {
  let node: SdkNode;
  const ran: string[] = [];

  const agentWith = (warden: Warden, model: Model) =>
    new Agent({
      name: 'support',
      instructions: 'Help with orders.',
      model,
      tools: [
        wardenTool(
          warden,
          tool({
            name: 'lookup',
            description: 'Look an order up',
            parameters: z.object({ orderId: z.string() }),
            execute: async ({ orderId }) => {
              ran.push(`lookup ${orderId}`);
              return `order ${orderId} shipped`;
            },
          }),
          { name: 'orders.lookup' },
        ),
        wardenTool(
          warden,
          tool({
            name: 'refund',
            description: 'Refund an order',
            parameters: z.object({ amount: z.number(), order: z.string() }),
            execute: async ({ amount, order }) => {
              ran.push(`refund ${order} ${amount}`);
              return `refunded ${amount}`;
            },
          }),
          { name: 'payments.refund' },
        ),
        wardenTool(
          warden,
          tool({
            name: 'delete_order',
            description: 'Delete an order',
            parameters: z.object({ orderId: z.string() }),
            execute: async ({ orderId }) => {
              ran.push(`delete ${orderId}`);
              return 'deleted';
            },
          }),
          { name: 'orders.delete' },
        ),
      ],
    });

  const pendingApprovals = async () =>
    (
      await request(
        node.t.node,
        'GET',
        `/v1/approvals?status=pending&agentId=${node.agentId}`,
        node.lead.token,
      )
    ).json().approvals as { id: string }[];

  beforeAll(async () => {
    node = await startSdkNode();
  });
  afterAll(() => node?.close());

  it('runs an allowed tool; a denied one is rejected by the input guardrail with the reason', async () => {
    ran.length = 0;
    const warden = new Warden({ url: node.url, agentKey: node.key });
    const model = new ScriptedModel(
      [
        { name: 'lookup', args: { orderId: 'o-1' } },
        { name: 'delete_order', args: { orderId: 'o-1' } },
      ],
      'Shipped; deleting is not allowed.',
    );
    const result = await run(agentWith(warden, model), 'Where is o-1? Delete it.');
    expect(result.finalOutput).toBe('Shipped; deleting is not allowed.');
    expect(ran).toEqual(['lookup o-1']);
    const outputs = result.newItems
      .filter((i) => i.type === 'tool_call_output_item')
      .map((i) => String(i.output));
    expect(outputs[0]).toBe('order o-1 shipped');
    expect(outputs[1]).toContain('Agents never delete orders');
  });

  it('interrupts on a review and resumes from a serialised RunState once the human approves', async () => {
    ran.length = 0;
    const model = new ScriptedModel([{ name: 'refund', args: { amount: 700, order: 'o-7' } }], 'Refunded.');
    const first = await run(
      agentWith(new Warden({ url: node.url, agentKey: node.key }), model),
      'Refund o-7: $700',
    );
    expect(first.interruptions).toHaveLength(1);
    expect(ran).toEqual([]);
    const saved = first.state.toString();

    const [pending] = await pendingApprovals();
    await node.vote(pending?.id as string, 'approve', 'ok');

    // Later, elsewhere: a new client and agent, the run restored from its serialised state.
    const warden = new Warden({ url: node.url, agentKey: node.key });
    const agent = agentWith(warden, model);
    const state = await RunState.fromString(agent, saved);
    expect(await wardenApprovals(warden, state)).toEqual({ approved: 1, rejected: 0 });
    const resumed = await run(agent, state);
    expect(resumed.finalOutput).toBe('Refunded.');
    expect(ran).toEqual(['refund o-7 700']);
    const approval = await request(node.t.node, 'GET', `/v1/approvals/${pending?.id}`, node.lead.token);
    expect(approval.json().consumedAt).not.toBeNull();
    expect(await pendingApprovals()).toEqual([]);
  });

  it('rejects the interruption when the human denies; the tool never runs', async () => {
    ran.length = 0;
    const warden = new Warden({ url: node.url, agentKey: node.key });
    const agent = agentWith(
      warden,
      new ScriptedModel([{ name: 'refund', args: { amount: 990, order: 'o-9' } }], 'Not refunded.'),
    );
    const first = await run(agent, 'Refund o-9: $990');
    const [pending] = await pendingApprovals();
    const settling = wardenApprovals(warden, first.state);
    await node.vote(pending?.id as string, 'deny', 'too much');
    expect(await settling).toEqual({ approved: 0, rejected: 1 });
    const resumed = await run(agent, first.state);
    expect(resumed.finalOutput).toBe('Not refunded.');
    expect(ran).toEqual([]);
    const outputs = resumed.newItems
      .filter((i) => i.type === 'tool_call_output_item')
      .map((i) => String(i.output));
    expect(outputs.join('\n')).toContain('too much');
  });
});
