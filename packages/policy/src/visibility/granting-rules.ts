import type { PolicyBundle } from '../compile/compile-bundle.js';
import { compileSelector, selectsEveryAgent } from '../compile/selector.js';
import type { AgentFacts } from '../input.js';
import type { AgentSelector } from '../model.js';
import { environmentCases } from './environment-cases.js';
import type { VisibilitySubject } from './types.js';

/** Which of a policy's `spec.agents` criteria hold for the agent: what would have to change to drop it. */
export interface SelectedBy {
  /** The selector is empty: the policy applies to every agent of the tenant. */
  readonly everyAgent: boolean;
  /** The agent's id is listed in `agents.ids`. */
  readonly id: boolean;
  /** The selector's roles the agent holds. */
  readonly roles: readonly string[];
  /** The selector's tiers, labels and environments, when it names them (all must hold). */
  readonly tiers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly environments: readonly string[];
}

/** A Policy `allow` or `review` rule that applies to the agent: one of its permissions. */
export interface GrantingRule {
  readonly id: string;
  readonly effect: 'allow' | 'review';
  /** The rule's tool names and globs, as written. */
  readonly tools: readonly string[];
  /** The rule has a `when`: it grants only the calls its condition lets through. */
  readonly conditional: boolean;
  readonly policy: string;
  /** The policy's `metadata.owner`: who changes it. */
  readonly policyOwner: string;
  readonly file: string;
  readonly line: number;
  readonly selectedBy: SelectedBy;
}

/**
 * Every Policy `allow`/`review` rule that could grant one of the subject's calls, in bundle order:
 * the rules whose policy selects the agent in at least one environment it may act in (the same
 * environment cases as `createVisibilityIndex`). A Guardrail never grants, and a deny is not a
 * permission. What each rule grants may still be cut by a deny; the visibility index says which
 * tools stay open.
 */
export function grantingRules(bundle: PolicyBundle, subject: VisibilitySubject): GrantingRule[] {
  const cases = environmentCases(bundle, subject).map((environment) => {
    const { environment: _, ...facts } = subject.agent;
    return environment === undefined ? facts : { ...facts, environment };
  });
  const rules: GrantingRule[] = [];
  for (const policy of bundle.policies) {
    if (policy.kind !== 'Policy') continue;
    const selects = compileSelector(policy.agents);
    const selected = cases.filter((agent) => selects(agent));
    if (selected.length === 0) continue;
    const selectedBy = selectionOf(policy.agents, subject.agent, selected);
    for (const rule of policy.rules) {
      if (rule.effect === 'deny') continue;
      rules.push({
        id: rule.id,
        effect: rule.effect,
        tools: rule.tools,
        conditional: rule.when !== undefined,
        policy: policy.metadata.name,
        policyOwner: policy.metadata.owner,
        file: rule.source.file,
        line: rule.source.line,
        selectedBy,
      });
    }
  }
  return rules;
}

function selectionOf(
  selector: AgentSelector,
  agent: AgentFacts,
  selectedIn: readonly AgentFacts[],
): SelectedBy {
  const environments = new Set(selectedIn.map((a) => a.environment).filter((e) => e !== undefined));
  return {
    everyAgent: selectsEveryAgent(selector),
    id: selector.ids.includes(agent.id),
    roles: selector.roles.filter((role) => agent.roles?.includes(role)),
    tiers: selector.tiers.filter((tier) => tier === agent.tier),
    labels: selector.labels,
    environments: selector.environments.filter((e) => environments.has(e)),
  };
}
