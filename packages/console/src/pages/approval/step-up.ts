// `.js`: the root project's tests (NodeNext) compile this file too; the bundler maps it to the .ts.
import type { Approval } from '../../api/types.js';

/** How the API labels an approver that is the initiator, asked to re-authenticate (`{initiator: {reauth: true}}`). */
export const INITIATOR_REAUTH = 'initiator+reauth';

/** The Warden user an `initiator` approver stands for: the person the agent acts for, else who started the task (as the server decides). */
export function initiatorOf(approval: Pick<Approval, 'onBehalfOfId' | 'initiatorId'>): string | null {
  return approval.onBehalfOfId ?? approval.initiatorId;
}

/** Whether the request's current step asks its initiator to re-authenticate before approving. */
export function currentStepAsksReauth(approval: Pick<Approval, 'status' | 'steps'>): boolean {
  if (approval.status !== 'pending') return false;
  const current = approval.steps.find((step) => step.state === 'current');
  return current?.approvers.includes(INITIATOR_REAUTH) ?? false;
}

/**
 * Whether this human's approval needs a fresh re-authentication proof: they are the initiator and the
 * current step asks them to re-authenticate. Other approvers of the same step approve as usual, and
 * denying never needs a proof. The API stays the authority: an approval it refuses with
 * `reauth_required` opens the same dialog.
 */
export function approvalNeedsReauth(
  approval: Pick<Approval, 'status' | 'steps' | 'onBehalfOfId' | 'initiatorId'>,
  humanId: string,
): boolean {
  return currentStepAsksReauth(approval) && initiatorOf(approval) === humanId;
}
