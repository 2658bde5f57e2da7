import type { CandidateGroup, CompiledRule, PolicyBundle } from '../compile/compile-bundle.js';
import type { AgentMatcher } from '../compile/selector.js';
import { validateAgent, validateToolName } from '../decide/validate-input.js';
import type { AgentFacts } from '../input.js';
import { environmentCases } from './environment-cases.js';
import { compileGrantMatcher } from './grant-matcher.js';
import type { ToolVisibility, VisibilityIndex, VisibilitySubject } from './types.js';

/**
 * Builds the visibility of every tool for one agent under one bundle: build it once per bundle
 * version and agent, then ask it about as many tools as needed.
 *
 * The analysis mirrors `decide` (docs/policy-language.md, "Which tools an agent can see"): a call
 * is allowed or reviewed only when a Policy `allow`/`review` rule or a temporary grant grants it and
 * no `deny` rule matched. Per environment the subject's calls may act in, a tool is open when some
 * grant source could apply there and no unconditional deny applies there; it is visible when it is
 * open in at least one. Every condition is taken as possibly true for a grant and possibly false
 * for a deny, so a visible tool may still be denied, but a hidden one is never allowed or reviewed.
 */
export function createVisibilityIndex(bundle: PolicyBundle, subject: VisibilitySubject): VisibilityIndex {
  const agentProblem = validateAgent(subject.agent, 'agent');
  if (agentProblem) {
    // `decide` rejects every call of this agent, so no tool can be allowed.
    const hidden: ToolVisibility = { visible: false, reason: 'invalid_input', message: agentProblem };
    return { bundleVersion: bundle.version, visibility: () => hidden, visibleTools: () => [] };
  }

  const agentPerCase = environmentCases(bundle, subject).map((environment) =>
    inEnvironment(subject.agent, environment),
  );
  // A policy's selector, applied to the agent in each environment case. Keyed by the compiled matcher
  // `decide` uses, so selection is the same code, run once per policy rather than once per tool.
  const selections = new Map<AgentMatcher, readonly boolean[]>();
  const selectionOf = (group: CandidateGroup): readonly boolean[] => {
    let selection = selections.get(group.selects);
    if (selection === undefined) {
      selection = agentPerCase.map((agent) => group.selects(agent));
      selections.set(group.selects, selection);
    }
    return selection;
  };
  const grantsCovering = compileGrantMatcher(subject.agent.grants ?? []);

  const visibility = (tool: string): ToolVisibility => {
    const toolProblem = validateToolName(tool);
    if (toolProblem) return { visible: false, reason: 'invalid_input', message: toolProblem };

    const granted = agentPerCase.map(() => false);
    const denied = agentPerCase.map(() => false);
    // Each Policy allow/review rule that could grant, with the environment cases it selects the agent in.
    const granting: { readonly id: string; readonly selection: readonly boolean[] }[] = [];
    const denying: string[] = [];
    for (const group of bundle.candidates(tool)) {
      const selection = selectionOf(group);
      if (!selection.includes(true)) continue;
      for (const compiled of group.rules) {
        if (couldGrant(compiled)) {
          granting.push({ id: compiled.rule.id, selection });
          markWhere(granted, selection);
        } else if (alwaysDenies(compiled)) {
          denying.push(compiled.rule.id);
          markWhere(denied, selection);
        }
      }
    }
    const grantIds = grantsCovering(tool);
    // A temporary grant is the agent's own, whatever environment the call acts in.
    if (grantIds.length > 0) granted.fill(true);

    const open = granted.map((g, i) => g && !denied[i]);
    if (open.includes(true)) {
      return {
        visible: true,
        grantingRules: granting.filter((g) => overlaps(g.selection, open)).map((g) => g.id),
        grantingGrants: grantIds,
      };
    }
    // Explain with the deny rules when they alone hide the tool: one applies wherever the agent acts.
    if (denied.length > 0 && !denied.includes(false)) {
      return { visible: false, reason: 'always_denied', denyingRules: denying };
    }
    return { visible: false, reason: 'no_grant' };
  };

  return {
    bundleVersion: bundle.version,
    visibility,
    visibleTools: (tools) => tools.filter((tool) => visibility(tool).visible),
  };
}

/** The visibility of one tool; for many tools, build a `createVisibilityIndex` once and reuse it. */
export function toolVisibility(
  bundle: PolicyBundle,
  subject: VisibilitySubject,
  tool: string,
): ToolVisibility {
  return createVisibilityIndex(bundle, subject).visibility(tool);
}

/** The tools of `tools` the subject can see, in their order. */
export function visibleTools(
  bundle: PolicyBundle,
  subject: VisibilitySubject,
  tools: readonly string[],
): string[] {
  return createVisibilityIndex(bundle, subject).visibleTools(tools);
}

/** Only a Policy's `allow` or `review` rule grants; a Guardrail's `review` never does. */
function couldGrant(compiled: CompiledRule): boolean {
  return compiled.policy.kind === 'Policy' && compiled.rule.effect !== 'deny';
}

/** A deny without a condition matches every call its document selects, whatever the call carries. */
function alwaysDenies(compiled: CompiledRule): boolean {
  return compiled.rule.effect === 'deny' && compiled.condition === undefined;
}

function inEnvironment(agent: AgentFacts, environment: string | undefined): AgentFacts {
  const { environment: _, ...facts } = agent;
  return environment === undefined ? facts : { ...facts, environment };
}

function markWhere(marks: boolean[], where: readonly boolean[]): void {
  for (let i = 0; i < marks.length; i++) if (where[i]) marks[i] = true;
}

function overlaps(a: readonly boolean[], b: readonly boolean[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] && b[i]) return true;
  return false;
}
