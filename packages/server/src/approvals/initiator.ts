import type { ApprovalRequest } from './approval.js';
import type { Directory } from './directory.js';

/**
 * Who answers for an `initiator` approver, in this order: the human the task runs on behalf of
 * when they are a Warden user; else the human who started it, when they are one; else, when the
 * tenant has a step-up hook, the person the task names (usually an end customer of the product,
 * re-authenticated by the product's own sign-in); else nobody, and a review that needs the
 * initiator is refused when it is decided rather than left to time out.
 */
export type InitiatorAnswer =
  | { readonly kind: 'human'; readonly humanId: string }
  | { readonly kind: 'step_up_hook'; readonly subject: string }
  | { readonly kind: 'nobody' };

/**
 * A human named in a task's context: an id, an e-mail address, a unique local part or name, also
 * written `user:<name>` as policies write people.
 */
export function resolveTaskHuman(directory: Directory, reference: string | undefined | null): string | null {
  if (!reference) return null;
  const plain = reference.startsWith('user:') ? reference.slice('user:'.length) : reference;
  return directory.resolve(plain) ?? null;
}

/** The task's people as the request's context stores them (`context.task`), as given by the agent. */
export function taskPeopleOf(request: Pick<ApprovalRequest, 'context'>): {
  initiator?: string;
  onBehalfOf?: string;
} {
  const task = request.context.task;
  if (typeof task !== 'object' || task === null || Array.isArray(task)) return {};
  const { initiator, onBehalfOf } = task as Record<string, unknown>;
  return {
    ...(typeof initiator === 'string' && initiator !== '' ? { initiator } : {}),
    ...(typeof onBehalfOf === 'string' && onBehalfOf !== '' ? { onBehalfOf } : {}),
  };
}

export function initiatorAnswer(
  request: Pick<ApprovalRequest, 'onBehalfOfId' | 'initiatorId' | 'context'>,
  directory: Directory,
): InitiatorAnswer {
  const humanId = request.onBehalfOfId ?? request.initiatorId;
  if (humanId && directory.humans.has(humanId)) return { kind: 'human', humanId };
  const people = taskPeopleOf(request);
  const subject = people.onBehalfOf ?? people.initiator;
  if (subject && directory.stepUpHook) return { kind: 'step_up_hook', subject };
  return { kind: 'nobody' };
}
