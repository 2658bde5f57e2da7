/**
 * Vercel AI SDK: a scripted model (no network) asks for a $700 refund; Warden turns it into the AI
 * SDK's approval request, the support lead approves in Warden, and the run goes on.
 *
 *   npx tsx --conditions=@warden/source examples/sdk/ai-sdk.ts
 */
import { Warden } from '@warden/sdk';
import { wardenApprovalResponses, wardenTools } from '@warden/sdk/ai';
import { generateText, type ModelMessage, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { exampleNode, runIfMain } from './local-node.js';

const usage = {
  inputTokens: { total: 20, noCache: 20, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 8, text: 8, reasoning: undefined },
};

/** First a refund tool call, then the final answer. */
function scriptedModel() {
  let turn = 0;
  return new MockLanguageModelV3({
    doGenerate: async () =>
      turn++ === 0
        ? {
            content: [
              {
                type: 'tool-call',
                toolCallId: 'call-1',
                toolName: 'refund',
                input: JSON.stringify({ orderId: 'o-2', amount: 700 }),
              },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage,
            warnings: [],
          }
        : {
            content: [{ type: 'text', text: 'Your $700 refund is on its way.' }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage,
            warnings: [],
          },
  });
}

export async function main() {
  const node = await exampleNode();
  const approver = node.startApprover();
  try {
    const warden = new Warden({ url: node.url, agentKey: node.agentKey });
    const tools = wardenTools(
      warden,
      {
        refund: tool({
          description: 'Refund an order',
          inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
          execute: async ({ orderId, amount }) => ({ refundId: `re_${orderId}`, amount }),
        }),
      },
      { refund: { name: 'payments.refund' } },
    );
    const model = scriptedModel();
    const messages: ModelMessage[] = [{ role: 'user', content: 'Order o-2 arrived broken, refund my $700.' }];

    const first = await generateText({ model, tools, messages });
    const asked = first.content.filter((part) => part.type === 'tool-approval-request').length;
    // Wait for Warden's human, answer the AI SDK's approval requests, and go on.
    const responses = await wardenApprovalResponses(warden, first.content);
    messages.push(...first.response.messages, { role: 'tool', content: responses });
    const second = await generateText({ model, tools, messages });
    return { approvalRequests: asked, approved: responses.map((r) => r.approved), text: second.text };
  } finally {
    approver.stop();
    await node.close();
  }
}

runIfMain(import.meta, main);
