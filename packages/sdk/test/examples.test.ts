import { describe, expect, it } from 'vitest';
import { main as aiSdk } from '../../../examples/sdk/ai-sdk.js';
import { main as guard } from '../../../examples/sdk/guard.js';
import { main as langchain } from '../../../examples/sdk/langchain.js';
import { main as openaiAgents } from '../../../examples/sdk/openai-agents.js';

// The runnable examples in examples/sdk, each against its own node: they must keep working.
describe('the SDK examples', () => {
  it('guard.ts: allow, a review approved by the lead, a deny', { timeout: 60_000 }, async () => {
    expect(await guard()).toMatchObject({
      order: { orderId: 'o-1' },
      small: { amount: 40 },
      large: { amount: 700 },
      deleted: 'denied (rule): Agents never delete orders.',
      humanDecisions: ['approve payments.refund'],
    });
  });

  it('ai-sdk.ts: a Warden review as the AI SDK approval request', { timeout: 60_000 }, async () => {
    expect(await aiSdk()).toEqual({
      approvalRequests: 1,
      approved: [true],
      text: 'Your $700 refund is on its way.',
    });
  });

  it('openai-agents.ts: interrupted, saved, resumed once approved', { timeout: 60_000 }, async () => {
    expect(await openaiAgents()).toEqual({
      interruptions: 1,
      settled: { approved: 1, rejected: 0 },
      finalOutput: 'Your $700 refund is on its way.',
    });
  });

  it('langchain.ts: the middleware holds, runs and refuses', { timeout: 60_000 }, async () => {
    expect(await langchain()).toEqual({
      toolResults: [
        'lookup: order o-2: delivered broken',
        'refund: refunded $700 on o-2',
        'delete_order: Warden did not allow orders.delete (rule): Agents never delete orders.',
      ],
      answer: 'Refunded $700; I cannot delete orders.',
    });
  });
});
