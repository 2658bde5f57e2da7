import type { CompiledRule, PolicyBundle } from '../compile/compile-bundle.js';
import { EFFECT_RANK } from '../compile/compile-bundle.js';
import type { Activation, ConditionVariables } from '../conditions/condition-engine.js';
import type { AgentVerdict, ConditionFailure, Decision, DecisionCode } from '../decision.js';
import type { AgentFacts, DecisionInput, JsonObject } from '../input.js';
import type { ApprovalRequirement, Effect } from '../model.js';
import { mergeApprovals } from './merge-approval.js';
import { validateInput } from './validate-input.js';

export interface DecideOptions {
  /**
   * Monotonic milliseconds, used only to report `evaluationMicros`; the answer never depends on it.
   * Defaults to `performance.now`.
   */
  readonly clock?: () => number;
}

const EMPTY_ARGS: JsonObject = Object.freeze({}) as JsonObject;

/**
 * Decides one proposed tool call (DESIGN.md, decision semantics, steps 2-5 and 7). Pure: the answer
 * depends only on the bundle and the input. Never throws for bad input: it denies with `invalid_input`.
 */
export function decide(bundle: PolicyBundle, input: DecisionInput, options: DecideOptions = {}): Decision {
  const clock = options.clock ?? performance.now.bind(performance);
  const started = clock();
  const problem = validateInput(input);
  if (problem) {
    return {
      ...denial('invalid_input', problem, typeof input?.agent?.id === 'string' ? input.agent.id : ''),
      policyVersion: bundle.version,
      evaluationMicros: micros(clock() - started),
    };
  }
  const chain = input.delegation ?? [];
  const own = judge(bundle, input, input.agent, chain);
  if (chain.length === 0) {
    return finish(bundle, own.verdict, own, [own], [], clock, started);
  }
  // A delegated call: every agent of the chain is decided on its own; the strictest answer wins,
  // so an orchestrator cannot hand out what it does not hold. Ties go to the caller's own verdict.
  const judged = [own];
  for (let i = chain.length - 1; i >= 0; i--) {
    const delegator = chain[i] as AgentFacts;
    judged.push(judge(bundle, input, delegator, chain.slice(0, i)));
  }
  let strictest = own;
  for (const judgement of judged) {
    if (EFFECT_RANK[judgement.verdict.effect] > EFFECT_RANK[strictest.verdict.effect]) strictest = judgement;
  }
  const verdicts = [...judged.slice(1).reverse(), own].map((j) => j.verdict);
  return finish(bundle, strictest.verdict, strictest, judged, verdicts, clock, started);
}

interface Judgement {
  readonly verdict: AgentVerdict;
  readonly reason: string;
  readonly approvals: readonly ApprovalRequirement[];
  readonly matched: readonly CompiledRule[];
  readonly conditionErrors: readonly ConditionFailure[];
}

/** Decides for one agent: collect candidate rules, evaluate their conditions, combine. */
function judge(
  bundle: PolicyBundle,
  input: DecisionInput,
  agent: AgentFacts,
  delegators: readonly AgentFacts[],
): Judgement {
  const matched: CompiledRule[] = [];
  const conditionErrors: ConditionFailure[] = [];
  let errored: Set<CompiledRule> | undefined;
  let activation: Activation | undefined;
  for (const group of bundle.candidates(input.tool)) {
    if (!group.selects(agent)) continue;
    for (const compiled of group.rules) {
      const condition = compiled.condition;
      if (condition === undefined) {
        matched.push(compiled);
        continue;
      }
      activation ??= bundle.engine.bind(variables(input, agent, delegators));
      try {
        if (condition.evaluate(activation)) matched.push(compiled);
      } catch (error) {
        // A condition that cannot be evaluated is a deny match, never a silent skip.
        conditionErrors.push({ rule: compiled.rule.id, message: (error as Error).message });
        errored ??= new Set();
        errored.add(compiled);
        matched.push(compiled);
      }
    }
  }
  return combine(agent, input.tool, matched, conditionErrors, errored);
}

function combine(
  agent: AgentFacts,
  tool: string,
  matched: readonly CompiledRule[],
  conditionErrors: readonly ConditionFailure[],
  errored: ReadonlySet<CompiledRule> | undefined,
): Judgement {
  let deny: CompiledRule | undefined;
  let review: CompiledRule | undefined;
  let allow: CompiledRule | undefined;
  const approvals: ApprovalRequirement[] = [];
  for (const compiled of matched) {
    if (errored?.has(compiled)) continue;
    const effect = compiled.rule.effect;
    if (effect === 'deny') deny ??= compiled;
    else if (effect === 'review') {
      review ??= compiled;
      if (compiled.rule.approval) approvals.push(compiled.rule.approval);
    } else allow ??= compiled;
  }
  const rules = matched.map((m) => m.rule.id);
  const verdict = (effect: Effect, code: DecisionCode, decidingRule: string | null): AgentVerdict => ({
    agentId: agent.id,
    effect,
    code,
    decidingRule,
    rules,
  });
  const base = { matched, conditionErrors };
  // An explicit deny explains itself better than a failed condition, so it decides first.
  if (deny)
    return {
      ...base,
      verdict: verdict('deny', 'rule', deny.rule.id),
      reason: ruleReason(deny),
      approvals: [],
    };
  const failure = conditionErrors[0];
  if (failure) {
    return {
      ...base,
      verdict: verdict('deny', 'condition_error', failure.rule),
      reason: `Rule '${failure.rule}' could not be evaluated (${failure.message}), so the call is denied; fix the rule or give the input it needs.`,
      approvals: [],
    };
  }
  if (review)
    return {
      ...base,
      verdict: verdict('review', 'rule', review.rule.id),
      reason: ruleReason(review),
      approvals,
    };
  if (allow)
    return {
      ...base,
      verdict: verdict('allow', 'rule', allow.rule.id),
      reason: ruleReason(allow),
      approvals: [],
    };
  return {
    ...base,
    verdict: verdict('deny', 'no_grant', null),
    reason: `No rule grants agent '${agent.id}' the tool '${tool}'; access is denied by default. Request access or ask the agent's owner.`,
    approvals: [],
  };
}

function finish(
  bundle: PolicyBundle,
  verdict: AgentVerdict,
  deciding: Judgement,
  judged: readonly Judgement[],
  delegation: readonly AgentVerdict[],
  clock: () => number,
  started: number,
): Decision {
  let approval: ApprovalRequirement | null = null;
  if (verdict.effect === 'review') {
    approval = mergeApprovals(
      judged.filter((j) => j.verdict.effect === 'review').flatMap((j) => j.approvals),
    );
  }
  const single = judged.length === 1;
  return {
    effect: verdict.effect,
    code: verdict.code,
    reason: deciding.reason,
    decidingRule: verdict.decidingRule,
    decidingAgent: verdict.agentId,
    rules: single ? verdict.rules : unionInBundleOrder(judged),
    conditionErrors: single ? deciding.conditionErrors : judged.flatMap((j) => j.conditionErrors),
    approval,
    delegation,
    policyVersion: bundle.version,
    evaluationMicros: micros(clock() - started),
  };
}

function unionInBundleOrder(judged: readonly Judgement[]): string[] {
  const all = new Map<number, string>();
  for (const j of judged) for (const m of j.matched) all.set(m.order, m.rule.id);
  return [...all.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
}

function variables(
  input: DecisionInput,
  agent: AgentFacts,
  delegators: readonly AgentFacts[],
): ConditionVariables {
  return {
    agent,
    tool: { name: input.tool, server: input.toolServer ?? '' },
    args: input.args ?? EMPTY_ARGS,
    context: input.context ?? {},
    usage: input.usage,
    time: input.time,
    delegation: { depth: delegators.length, chain: delegators.map((d) => d.id) },
  };
}

function ruleReason(compiled: CompiledRule): string {
  const { id, effect, reason } = compiled.rule;
  if (reason) return reason;
  return `Rule '${id}' ${effect === 'allow' ? 'allows' : effect === 'review' ? 'requires review of' : 'denies'} this call.`;
}

function denial(
  code: DecisionCode,
  reason: string,
  agentId: string,
): Omit<Decision, 'policyVersion' | 'evaluationMicros'> {
  return {
    effect: 'deny',
    code,
    reason,
    decidingRule: null,
    decidingAgent: agentId,
    rules: [],
    conditionErrors: [],
    approval: null,
    delegation: [],
  };
}

function micros(ms: number): number {
  return Math.round(ms * 1000 * 100) / 100;
}
