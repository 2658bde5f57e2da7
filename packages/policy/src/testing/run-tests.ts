import type { PolicyBundle } from '../compile/compile-bundle.js';
import { decide } from '../decide/decide.js';
import type { Decision } from '../decision.js';
import { approvalFailures, sameSet, setText, stepApproverLabels } from './approval-expectation.js';
import type { PolicyTestCase } from './test-suite.js';

export interface CaseResult {
  readonly testCase: PolicyTestCase;
  readonly decision: Decision;
  /** Empty when the case passed. */
  readonly failures: readonly string[];
}

/** Decides one case and compares the decision with what the case expects. */
export function runCase(bundle: PolicyBundle, testCase: PolicyTestCase): CaseResult {
  const decision = decide(bundle, testCase.input);
  const failures: string[] = [];
  const { expect } = testCase;
  if (decision.effect !== expect.effect) {
    const by = decision.decidingRule ? `rule '${decision.decidingRule}'` : decision.code;
    failures.push(`expected effect ${expect.effect}, got ${decision.effect} (${by}: ${decision.reason})`);
  }
  if (expect.code !== undefined && decision.code !== expect.code) {
    failures.push(`expected code ${expect.code}, got ${decision.code}`);
  }
  if (expect.rules !== undefined && !sameSet(expect.rules, decision.rules)) {
    failures.push(
      `expected matched rules [${[...expect.rules].sort().join(', ')}], got [${[...decision.rules].sort().join(', ')}]`,
    );
  }
  if (expect.approvers !== undefined) {
    const actual = stepApproverLabels(decision.approval);
    if (!sameSet(expect.approvers, actual)) {
      failures.push(`expected approvers ${setText(expect.approvers)}, got ${setText(actual)}`);
    }
  }
  if (expect.approval !== undefined) failures.push(...approvalFailures(decision, expect.approval));
  if (expect.sampled !== undefined && (decision.sample !== null) !== expect.sampled) {
    failures.push(
      expect.sampled
        ? `expected the call to be sampled, but no sampling rule decided it`
        : `expected the call not to be sampled, got a sample rate of ${decision.sample?.sampleRate}`,
    );
  }
  if (expect.labels !== undefined && !sameSet(expect.labels, decision.labels ?? [])) {
    failures.push(
      `expected the labels [${[...expect.labels].sort().join(', ')}], got [${[...(decision.labels ?? [])].sort().join(', ')}]`,
    );
  }
  // A deny that only came from a broken condition is flagged unless the case says it expects one.
  if (decision.code === 'condition_error' && expect.code === undefined) {
    for (const error of decision.conditionErrors) {
      failures.push(
        `condition of rule '${error.rule}' failed: ${error.message} (add code: condition_error if this is intended)`,
      );
    }
  }
  return { testCase, decision, failures };
}
