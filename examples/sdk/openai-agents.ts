/**
 * OpenAI Agents JS: a scripted model (no network) asks for a $700 refund; the run is interrupted
 * for approval, saved as a string, and resumed once the support lead approves in Warden.
 *
 *   npx tsx --conditions=@warden/source examples/sdk/openai-agents.ts
 */
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
import { Warden } from '@warden/sdk';
import { wardenApprovals, wardenTool } from '@warden/sdk/openai-agents';
import { z } from 'zod';
import { exampleNode, runIfMain } from './local-node.js';

setTracingDisabled(true);

/** Calls the refund tool until it has a result, then answers. */
class ScriptedModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = (typeof request.input === 'string' ? [] : request.input) as AgentInputItem[];
    const refunded = items.some((item) => item.type === 'function_call_result');
    return {
      usage: new Usage(),
      output: refunded
        ? [
            {
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: 'Your $700 refund is on its way.' }],
            },
          ]
        : [
            {
              type: 'function_call',
              callId: 'call-1',
              name: 'refund',
              arguments: JSON.stringify({ orderId: 'o-2', amount: 700 }),
              status: 'completed',
            },
          ],
    };
  }

  // biome-ignore lint/correctness/useYield: this example never streams
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed in this example');
  }
}

function shopAgent(warden: Warden) {
  const refund = tool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async ({ orderId, amount }) => `refund re_${orderId} of $${amount} sent`,
  });
  return new Agent({
    name: 'shop-assistant',
    instructions: 'Help customers with their orders.',
    model: new ScriptedModel(),
    tools: [wardenTool(warden, refund, { name: 'payments.refund' })],
  });
}

export async function main() {
  const node = await exampleNode();
  const approver = node.startApprover();
  try {
    const first = await run(
      shopAgent(new Warden({ url: node.url, agentKey: node.agentKey })),
      'Order o-2 arrived broken, refund my $700.',
    );
    const interruptions = first.interruptions.length;
    // The run can wait anywhere: a database row, a queue message.
    const saved = first.state.toString();

    const warden = new Warden({ url: node.url, agentKey: node.agentKey });
    const agent = shopAgent(warden);
    const state = await RunState.fromString(agent, saved);
    const settled = await wardenApprovals(warden, state);
    const resumed = await run(agent, state);
    return { interruptions, settled, finalOutput: resumed.finalOutput };
  } finally {
    approver.stop();
    await node.close();
  }
}

runIfMain(import.meta, main);
