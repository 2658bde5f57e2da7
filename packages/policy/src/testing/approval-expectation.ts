import type { Decision } from '../decision.js';
import { approverLabel, readApproverEntry } from '../load/approver-entry.js';
import { parseDuration } from '../load/duration.js';
import type { FieldChecker } from '../load/field-checker.js';
import type { YamlPath } from '../load/yaml-file.js';
import type { ApprovalRequirement, Approver } from '../model.js';

/**
 * What a test case expects of the approval a decision asks for (`expect.approval`): every key is
 * optional and only the keys given are compared. Approvers are labels (`approverLabel`) compared
 * as sets: `initiator+reauth` is not `initiator`.
 */
export interface ApprovalExpectation {
  readonly mode?: ApprovalRequirement['mode'];
  /** Seconds, read from a duration such as `1h`. */
  readonly timeoutSeconds?: number;
  readonly timeoutText?: string;
  readonly onTimeout?: ApprovalRequirement['onTimeout'];
  readonly escalateTo?: readonly string[];
  /** Every approver of every step. */
  readonly approvers?: readonly string[];
}

const MODES = ['pre', 'post', 'sample'] as const;
const ON_TIMEOUT = ['deny', 'escalate'] as const;

/** A list of approvers in any form a policy accepts, as labels; undefined when an entry is wrong. */
export function readApproverLabels(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
): string[] | undefined {
  if (!Array.isArray(value)) {
    checker.error(path, 'expected a list of approvers such as [group:leads, initiator]');
    return undefined;
  }
  const labels = value.flatMap((entry: unknown, i: number) => {
    const approver = readApproverEntry(checker, [...path, i], entry);
    return approver ? [approverLabel(approver)] : [];
  });
  return labels.length === value.length ? labels : undefined;
}

export function readApprovalExpectation(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
): ApprovalExpectation | undefined {
  const raw = checker.object(path, value, ['mode', 'timeout', 'onTimeout', 'escalateTo', 'approvers']);
  if (!raw) return undefined;
  const before = checker.issues.length;
  const mode = raw.mode === undefined ? undefined : checker.oneOf([...path, 'mode'], raw.mode, MODES);
  let timeoutSeconds: number | undefined;
  let timeoutText: string | undefined;
  if (raw.timeout !== undefined) {
    timeoutText = checker.string([...path, 'timeout'], raw.timeout);
    timeoutSeconds = timeoutText === undefined ? undefined : parseDuration(timeoutText);
    if (timeoutText !== undefined && timeoutSeconds === undefined)
      checker.error(
        [...path, 'timeout'],
        `expected a duration such as 90s, 15m, 1h or 1h30m, got ${JSON.stringify(timeoutText)}`,
      );
  }
  const onTimeout =
    raw.onTimeout === undefined
      ? undefined
      : checker.oneOf([...path, 'onTimeout'], raw.onTimeout, ON_TIMEOUT);
  // `escalateTo: []` is a real expectation: the request expires rather than escalates.
  const escalateTo =
    raw.escalateTo === undefined
      ? undefined
      : Array.isArray(raw.escalateTo) && raw.escalateTo.length === 0
        ? []
        : readApproverLabels(checker, [...path, 'escalateTo'], raw.escalateTo);
  const approvers =
    raw.approvers === undefined
      ? undefined
      : readApproverLabels(checker, [...path, 'approvers'], raw.approvers);
  if (checker.issues.length !== before) return undefined;
  return {
    ...(mode ? { mode } : {}),
    ...(timeoutSeconds !== undefined && timeoutText ? { timeoutSeconds, timeoutText } : {}),
    ...(onTimeout ? { onTimeout } : {}),
    ...(escalateTo ? { escalateTo } : {}),
    ...(approvers ? { approvers } : {}),
  };
}

/** Every approver of every step, as labels. */
export function stepApproverLabels(requirement: ApprovalRequirement | null): string[] {
  return (requirement?.steps ?? []).flatMap((step) => step.approvers.map(approverLabel));
}

/**
 * Compares a decision's approval with the expectation. A review's requirement is `approval`; an
 * allow that samples carries its requirement in `sample`, so `mode: sample` can be asserted too.
 */
export function approvalFailures(decision: Decision, expected: ApprovalExpectation): string[] {
  const requirement = decision.approval ?? decision.sample;
  if (!requirement) {
    return [`expected an approval, but the decision asks for none (effect ${decision.effect})`];
  }
  const failures: string[] = [];
  if (expected.mode !== undefined && requirement.mode !== expected.mode)
    failures.push(`expected approval mode ${expected.mode}, got ${requirement.mode}`);
  if (expected.timeoutSeconds !== undefined && requirement.timeoutSeconds !== expected.timeoutSeconds)
    failures.push(
      `expected approval timeout ${expected.timeoutText} (${expected.timeoutSeconds}s), got ${requirement.timeoutSeconds}s`,
    );
  if (expected.onTimeout !== undefined && requirement.onTimeout !== expected.onTimeout)
    failures.push(`expected onTimeout ${expected.onTimeout}, got ${requirement.onTimeout}`);
  if (expected.escalateTo !== undefined) {
    const actual = requirement.escalateTo.map(approverLabel);
    if (!sameSet(expected.escalateTo, actual))
      failures.push(`expected escalateTo ${setText(expected.escalateTo)}, got ${setText(actual)}`);
  }
  if (expected.approvers !== undefined) {
    const actual = stepApproverLabels(requirement);
    if (!sameSet(expected.approvers, actual))
      failures.push(`expected approval approvers ${setText(expected.approvers)}, got ${setText(actual)}`);
  }
  return failures;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((item) => y.has(item));
}

export function setText(items: readonly string[]): string {
  return `[${[...new Set(items)].sort().join(', ')}]`;
}

export type { Approver };
