import type { ApprovalRequirement, ApprovalStep, Approver } from '../model.js';

/**
 * Several review rules can match one call (a refund over $500 and a refund over $1,000). Each
 * rule's requirement must hold, so the merge keeps every step (a step with the same approvers
 * appears once, with the higher count), the shortest timeout, `deny` on timeout if any rule asks
 * for it, and `pre` (approve before execution) if any rule asks for it. Only review requirements
 * merge: sampling requirements (mode `sample`) are left out.
 */
export function mergeApprovals(all: readonly ApprovalRequirement[]): ApprovalRequirement | null {
  // A sampling requirement reviews a share of allowed calls; it never holds a reviewed call back.
  const requirements = all.some(isSample) ? all.filter((r) => !isSample(r)) : all;
  if (requirements.length <= 1) return requirements[0] ?? null;
  const steps: ApprovalStep[] = [];
  const stepIndex = new Map<string, number>();
  const escalateTo: Approver[] = [];
  const escalateKeys = new Set<string>();
  for (const requirement of requirements) {
    for (const step of requirement.steps) {
      const key = approversKey(step.approvers);
      const index = stepIndex.get(key);
      const existing = index === undefined ? undefined : steps[index];
      if (index !== undefined && existing) {
        steps[index] = {
          ...existing,
          required: Math.max(existing.required, step.required),
          approvers: withReauth(existing.approvers, step.approvers),
        };
      } else {
        stepIndex.set(key, steps.length);
        steps.push(step);
      }
    }
    for (const approver of requirement.escalateTo) {
      const key = approverKey(approver);
      const at = escalateTo.findIndex((a) => approverKey(a) === key);
      if (!escalateKeys.has(key)) {
        escalateKeys.add(key);
        escalateTo.push(approver);
      } else if (at >= 0) {
        escalateTo[at] = withReauth([escalateTo[at] as Approver], [approver])[0] as Approver;
      }
    }
  }
  const onTimeout = requirements.some((r) => r.onTimeout === 'deny') ? 'deny' : 'escalate';
  return {
    steps,
    timeoutSeconds: Math.min(...requirements.map((r) => r.timeoutSeconds)),
    onTimeout,
    escalateTo: onTimeout === 'deny' ? [] : escalateTo,
    mode: requirements.some((r) => r.mode === 'pre') ? 'pre' : 'post',
  };
}

/**
 * The same people, keeping the stricter form: when either rule asks the initiator to
 * re-authenticate, the merged step does too (a step never gets weaker by merging).
 */
function withReauth(kept: readonly Approver[], other: readonly Approver[]): Approver[] {
  const reauth = other.some((a) => a.kind === 'initiator' && a.reauth);
  return kept.map((a) => (a.kind === 'initiator' && reauth ? { kind: 'initiator', reauth: true } : a));
}

function isSample(requirement: ApprovalRequirement): boolean {
  return requirement.mode === 'sample';
}

export function approverKey(approver: Approver): string {
  return approver.kind === 'initiator' ? 'initiator' : `${approver.kind}:${approver.name}`;
}

function approversKey(approvers: readonly Approver[]): string {
  return approvers.map(approverKey).sort().join('|');
}
