/**
 * LangChain.js: a fake chat model (no network) looks an order up, asks for a $700 refund (held until
 * the support lead approves in Warden) and tries to delete the order (denied; the model is told why).
 *
 *   npx tsx --conditions=@warden/source examples/sdk/langchain.ts
 */
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { Warden } from '@warden/sdk';
import { wardenMiddleware } from '@warden/sdk/langchain';
import { createAgent, tool } from 'langchain';
import { z } from 'zod';
import { exampleNode, runIfMain } from './local-node.js';

export async function main() {
  const node = await exampleNode();
  const approver = node.startApprover();
  try {
    const warden = new Warden({ url: node.url, agentKey: node.agentKey });
    const tools = [
      tool(async ({ orderId }: { orderId: string }) => `order ${orderId}: delivered broken`, {
        name: 'lookup',
        description: 'Look an order up',
        schema: z.object({ orderId: z.string() }),
      }),
      tool(
        async ({ orderId, amount }: { orderId: string; amount: number }) =>
          `refunded $${amount} on ${orderId}`,
        {
          name: 'refund',
          description: 'Refund an order',
          schema: z.object({ orderId: z.string(), amount: z.number() }),
        },
      ),
      tool(async ({ orderId }: { orderId: string }) => `deleted ${orderId}`, {
        name: 'delete_order',
        description: 'Delete an order',
        schema: z.object({ orderId: z.string() }),
      }),
    ];
    const model = fakeModel()
      .respondWithTools([{ name: 'lookup', args: { orderId: 'o-2' }, id: 'call-1' }])
      .respondWithTools([{ name: 'refund', args: { orderId: 'o-2', amount: 700 }, id: 'call-2' }])
      .respondWithTools([{ name: 'delete_order', args: { orderId: 'o-2' }, id: 'call-3' }])
      .respond(new AIMessage('Refunded $700; I cannot delete orders.'));
    const agent = createAgent({
      model,
      tools,
      middleware: [
        wardenMiddleware(warden, {
          tools: {
            lookup: { name: 'orders.lookup' },
            refund: { name: 'payments.refund' },
            delete_order: { name: 'orders.delete' },
          },
        }),
      ],
    });
    const result = await warden.task({ taskId: 'ticket-4712', onBehalfOf: 'customer-7' }, () =>
      agent.invoke({
        messages: [{ role: 'user', content: 'Order o-2 arrived broken: refund $700 and delete it.' }],
      }),
    );
    const toolResults = result.messages
      .filter((m) => ToolMessage.isInstance(m))
      .map((m) => `${m.name}: ${String(m.content)}`);
    return { toolResults, answer: String(result.messages.at(-1)?.content) };
  } finally {
    approver.stop();
    await node.close();
  }
}

runIfMain(import.meta, main);
