import { expect } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { request } from '../helpers/api.js';

/** The policy of the step-up tests: refunds above $1,000 ask the initiator to re-authenticate. */
export const STEP_UP_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: support-refunds
  owner: policy-author@example.test
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: refund-small
      effect: allow
      tools: [payments.refund]
      when: args.amount <= 1000
    - id: refund-reauth
      effect: review
      tools: [payments.refund]
      when: args.amount > 1000
      reason: Refunds above $1,000 need the initiator to re-authenticate
      approval:
        approvers: [{initiator: {reauth: true}}]
        timeout: 1h
    - id: export-confirm
      effect: review
      tools: [crm.export]
      reason: The initiator confirms an export
      approval:
        approvers: [initiator]
        timeout: 1h
    - id: close-account
      effect: review
      tools: [accounts.close]
      reason: The initiator or a support lead confirms
      approval:
        approvers: [initiator, group:support-leads]
        timeout: 1h
`;

let serial = 0;

/** Decides a call and returns the answer's body; fails the test unless it answers 200. */
export async function decide(
  node: WardenNode,
  key: string,
  tool: string,
  args: Record<string, unknown>,
  context: Record<string, unknown> = {},
) {
  const res = await request(node, 'POST', '/v1/decide', key, {
    tool,
    args: { ...args, ref: `r-${++serial}` },
    context,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    effect: string;
    code: string;
    reason: string;
    approvalRequest: { id: string; status: string } | null;
  };
}

/** A call the policy sends to review; returns the pending request's id. */
export async function review(
  node: WardenNode,
  key: string,
  tool: string,
  args: Record<string, unknown>,
  context: Record<string, unknown> = {},
): Promise<string> {
  const body = await decide(node, key, tool, args, context);
  expect(body.effect, body.reason).toBe('review');
  return body.approvalRequest?.id as string;
}
