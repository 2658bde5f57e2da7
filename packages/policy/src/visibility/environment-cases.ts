import type { PolicyBundle } from '../compile/compile-bundle.js';
import type { VisibilitySubject } from './types.js';

/**
 * The environments worth trying for the subject's calls. An agent selector reads the environment
 * only by comparing it with its `environments` list, so when the subject does not fix where it acts,
 * every environment a selector names is tried, plus `undefined`, which stands for "none" and for any
 * environment no selector names (no environment constraint can tell those apart).
 */
export function environmentCases(
  bundle: PolicyBundle,
  subject: VisibilitySubject,
): readonly (string | undefined)[] {
  const fixed = new Set(subject.environments ?? []);
  if (subject.agent.environment !== undefined) fixed.add(subject.agent.environment);
  if (subject.environments !== undefined || fixed.size > 0) return [...fixed];

  const named = new Set<string>();
  for (const policy of bundle.policies) {
    for (const environment of policy.agents.environments) named.add(environment);
  }
  return [...named, undefined];
}
