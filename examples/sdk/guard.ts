/**
 * The SDK on its own: guard() a few functions, run them inside a task, and watch Warden allow,
 * hold for a human, and deny.
 *
 *   npx tsx --conditions=@warden/source examples/sdk/guard.ts
 */
import { Warden, WardenDenied } from '@warden/sdk';
import { exampleNode, runIfMain } from './local-node.js';

export async function main() {
  const node = await exampleNode();
  const approver = node.startApprover();
  try {
    const warden = new Warden({ url: node.url, agentKey: node.agentKey });

    const lookup = warden.guard('orders.lookup', async ({ orderId }: { orderId: string }) => ({
      orderId,
      status: 'delivered late',
    }));
    const refund = warden.guard(
      'payments.refund',
      async ({ orderId, amount }: { orderId: string; amount: number }) => ({
        refundId: `re_${orderId}`,
        amount,
      }),
      { estimate: { usd: 0.01 }, costOf: () => ({ usd: 0.004 }) },
    );
    const deleteOrder = warden.guard('orders.delete', async (_input: { orderId: string }) => 'deleted');

    return await warden.task(
      { taskId: 'ticket-4711', initiator: 'usr-alice', onBehalfOf: 'customer-99', interface: 'chat' },
      async () => {
        const order = await lookup({ orderId: 'o-1' });
        const small = await refund({ orderId: 'o-1', amount: 40 });
        // Over $500: Warden holds the call until the support lead approves it.
        const large = await refund({ orderId: 'o-2', amount: 700 });
        let deleted: string;
        try {
          deleted = await deleteOrder({ orderId: 'o-1' });
        } catch (error) {
          if (!(error instanceof WardenDenied)) throw error;
          deleted = `denied (${error.code}): ${error.reason}`;
        }
        return { order, small, large, deleted, humanDecisions: approver.decided };
      },
    );
  } finally {
    approver.stop();
    await node.close();
  }
}

runIfMain(import.meta, main);
