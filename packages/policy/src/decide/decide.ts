import type { CompiledRule, PolicyBundle } from '../compile/compile-bundle.js';
import type { Activation, ConditionVariables } from '../conditions/condition-engine.js';
import type { AgentVerdict, ConditionFailure, Decision, DecisionCode } from '../decision.js';
import type { AgentFacts, DecisionInput, JsonObject, TemporaryGrant } from '../input.js';
import type { Effect } from '../model.js';
import { checkSignals, type Signals, withDefaults } from '../signals/signals.js';
import { grantFor, grantReason } from './grants.js';
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
const NO_OPTIONS: DecideOptions = {};
const NO_ERRORS: readonly ConditionFailure[] = Object.freeze([]);
const NO_RULES: readonly CompiledRule[] = Object.freeze([]);
const NO_OWNERS: readonly string[] = Object.freeze([]);
const monotonicClock = () => performance.now();
const EFFECT_RANK: Readonly<Record<Effect, number>> = { allow: 0, review: 1, deny: 2 };

/**
 * Decides one proposed tool call (Warden's decision semantics, steps 2-5 and 7, plus temporary
 * grants and sampling; see docs/policy-language.md, "How a decision is made"). Pure: the answer
 * depends only on the bundle and the input. Never throws for bad input: it denies with `invalid_input`.
 */
export function decide(
  bundle: PolicyBundle,
  input: DecisionInput,
  options: DecideOptions = NO_OPTIONS,
): Decision {
  const clock = options.clock ?? monotonicClock;
  const started = clock();
  const problem = validateInput(input) ?? signalsProblem(bundle, input);
  if (problem) return invalidInput(bundle, input, problem, clock() - started);

  const signals = bundle.signals.size === 0 ? NO_SIGNALS : withDefaults(bundle.signals, input.signals);
  const chain = input.delegation ?? NO_AGENTS;
  const own = judge(bundle, input, input.agent, chain, signals);
  if (chain.length === 0) {
    return decision(
      bundle,
      own,
      own.reviews,
      own.sample,
      own.verdict.rules,
      own.conditionErrors,
      [],
      labelsOf([own]),
      clock() - started,
    );
  }
  // A delegated call: every agent of the chain is decided on its own; the strictest answer wins,
  // so an orchestrator cannot hand out what it does not hold. Ties go to the caller's own verdict,
  // then to the nearest delegator.
  const judged = [own];
  for (let i = chain.length - 1; i >= 0; i--) {
    judged.push(judge(bundle, input, chain[i] as AgentFacts, chain.slice(0, i), signals));
  }
  let strictest = own;
  for (const judgement of judged) {
    if (EFFECT_RANK[judgement.verdict.effect] > EFFECT_RANK[strictest.verdict.effect]) strictest = judgement;
  }
  // Only review verdicts carry reviews, and a review is decided only when no agent denied.
  const reviews = judged.flatMap((j) => j.reviews);
  // Like the rest of the answer, sampling follows the deciding verdict: for an allow (every agent
  // allowed), that is the caller's own.
  return decision(
    bundle,
    strictest,
    reviews,
    strictest.sample,
    unionInBundleOrder(judged),
    judged.flatMap((j) => j.conditionErrors),
    [...judged.slice(1).reverse(), own].map((j) => j.verdict),
    labelsOf(judged),
    clock() - started,
  );
}

const NO_AGENTS: readonly AgentFacts[] = Object.freeze([]);
const NO_SIGNALS: Signals = Object.freeze({});
const NO_LABELS: readonly string[] = Object.freeze([]);

/** The signals the call reports, checked against the bundle's declarations; a message when unusable. */
function signalsProblem(bundle: PolicyBundle, input: DecisionInput): string | undefined {
  if (input.signals === undefined) return undefined;
  const problem = checkSignals(bundle.signals, input.signals);
  if (!problem) return undefined;
  return problem.signal ? `signals.${problem.signal}: ${problem.message}` : `signals: ${problem.message}`;
}

interface Judgement {
  readonly verdict: AgentVerdict;
  readonly reason: string;
  /** The matched rules whose requirements make up the approval; empty unless the verdict is review. */
  readonly reviews: readonly CompiledRule[];
  /** The deciding allow rule, when it samples. */
  readonly sample: CompiledRule | undefined;
  readonly matched: readonly CompiledRule[];
  /** The matched rules whose condition held (not those that failed): the ones whose labels count. */
  readonly labelled: readonly CompiledRule[];
  readonly conditionErrors: readonly ConditionFailure[];
}

/**
 * Decides for one agent: the candidate rules come from the tool index; the first matched rule of
 * each effect is kept as it goes, so combining is free. An explicit deny explains itself better than
 * a failed condition, so it decides before a condition error does. The agent's temporary grants act
 * as an allow rule after every rule: they are looked at only when no rule granted the call.
 */
function judge(
  bundle: PolicyBundle,
  input: DecisionInput,
  agent: AgentFacts,
  delegators: readonly AgentFacts[],
  signals: Signals,
): Judgement {
  const matched: CompiledRule[] = [];
  let conditionErrors: ConditionFailure[] | undefined;
  let deny: CompiledRule | undefined;
  let review: CompiledRule | undefined;
  let allow: CompiledRule | undefined;
  // Guardrails only restrict: a guardrail's review applies to a call some Policy grants, it never
  // turns "no grant" into "ask a human".
  let granted = false;
  let reviews: CompiledRule[] | undefined;
  let activation: Activation | undefined;
  let failed: Set<CompiledRule> | undefined;
  for (const group of bundle.candidates(input.tool)) {
    if (!group.selects(agent)) continue;
    for (const compiled of group.rules) {
      const condition = compiled.condition;
      if (condition !== undefined) {
        activation ??= bundle.engine.bind(variables(input, agent, delegators, signals));
        let holds: boolean;
        try {
          holds = condition.evaluate(activation);
        } catch (error) {
          // A condition that cannot be evaluated is a deny match, never a silent skip.
          conditionErrors ??= [];
          conditionErrors.push({ rule: compiled.rule.id, message: (error as Error).message });
          matched.push(compiled);
          failed ??= new Set();
          failed.add(compiled);
          continue;
        }
        if (!holds) continue;
      }
      matched.push(compiled);
      const effect = compiled.rule.effect;
      if (effect === 'deny') deny ??= compiled;
      else if (effect === 'allow') {
        allow ??= compiled;
        granted = true;
      } else {
        review ??= compiled;
        if (compiled.policy.kind === 'Policy') granted = true;
        if (compiled.rule.approval) {
          reviews ??= [];
          reviews.push(compiled);
        }
      }
    }
  }
  const rules = matched.map(ruleId);
  const errors = conditionErrors ?? NO_ERRORS;
  const failure = errors[0];
  let grant: TemporaryGrant | undefined;
  const grants = agent.grants;
  if (!granted && !deny && !failure && grants !== undefined && grants.length > 0) {
    grant = grantFor(grants, input.tool);
    // A grant is a grant like any other: a Guardrail review still applies to the call.
    if (grant) granted = true;
  }
  let effect: AgentVerdict['effect'] = 'deny';
  let code: DecisionCode = 'rule';
  let deciding: CompiledRule | undefined;
  let decidingRule: string | null = null;
  let reason: string;
  if (deny) {
    deciding = deny;
    reason = deny.reason;
  } else if (failure) {
    code = 'condition_error';
    decidingRule = failure.rule;
    reason = `Rule '${failure.rule}' could not be evaluated (${failure.message}), so the call is denied; fix the rule or give the input it needs.`;
  } else if (review && granted) {
    effect = 'review';
    deciding = review;
    reason = review.reason;
  } else if (allow) {
    effect = 'allow';
    deciding = allow;
    reason = allow.reason;
  } else if (grant) {
    effect = 'allow';
    code = 'grant';
    decidingRule = grant.id;
    reason = grantReason(grant, input.tool);
  } else {
    code = 'no_grant';
    reason = `No rule grants agent '${agent.id}' the tool '${input.tool}'; access is denied by default. Request access or ask the agent's owner.`;
  }
  if (deciding) decidingRule = deciding.rule.id;
  return {
    verdict: { agentId: agent.id, effect, code, decidingRule, rules },
    reason,
    reviews: effect === 'review' && reviews ? reviews : NO_RULES,
    sample: effect === 'allow' && deciding?.rule.approval?.mode === 'sample' ? deciding : undefined,
    matched,
    labelled: failed ? matched.filter((m) => !failed.has(m)) : matched,
    conditionErrors: errors,
  };
}

function decision(
  bundle: PolicyBundle,
  deciding: Judgement,
  reviews: readonly CompiledRule[],
  sample: CompiledRule | undefined,
  rules: readonly string[],
  conditionErrors: readonly ConditionFailure[],
  delegation: readonly AgentVerdict[],
  labels: readonly string[],
  elapsedMs: number,
): Decision {
  const { verdict } = deciding;
  const review = verdict.effect === 'review';
  const sampled = verdict.effect === 'allow' && sample !== undefined;
  return {
    effect: verdict.effect,
    code: verdict.code,
    reason: deciding.reason,
    decidingRule: verdict.decidingRule,
    decidingAgent: verdict.agentId,
    rules,
    conditionErrors,
    approval: review ? mergeApprovals(reviews.flatMap(requirementOf)) : null,
    sample: sampled ? (sample.rule.approval ?? null) : null,
    approvalOwners: review ? ownersOf(reviews) : sampled ? ownersOf([sample]) : NO_OWNERS,
    delegation,
    labels,
    policyVersion: bundle.version,
    evaluationMicros: Math.round(elapsedMs * 100_000) / 100,
  };
}

function invalidInput(
  bundle: PolicyBundle,
  input: DecisionInput,
  reason: string,
  elapsedMs: number,
): Decision {
  const agentId = typeof input?.agent?.id === 'string' ? input.agent.id : '';
  const verdict: AgentVerdict = {
    agentId,
    effect: 'deny',
    code: 'invalid_input',
    decidingRule: null,
    rules: [],
  };
  return decision(
    bundle,
    {
      verdict,
      reason,
      reviews: NO_RULES,
      sample: undefined,
      matched: [],
      labelled: [],
      conditionErrors: NO_ERRORS,
    },
    NO_RULES,
    undefined,
    [],
    NO_ERRORS,
    [],
    NO_LABELS,
    elapsedMs,
  );
}

function requirementOf(compiled: CompiledRule) {
  return compiled.rule.approval ?? [];
}

/** Owners of the policies behind the rules, once each, in bundle order (separation of duties). */
function ownersOf(contributing: readonly CompiledRule[]): readonly string[] {
  const ordered =
    contributing.length > 1 ? [...contributing].sort((a, b) => a.order - b.order) : contributing;
  const owners: string[] = [];
  for (const compiled of ordered) {
    const owner = compiled.policy.metadata.owner;
    if (!owners.includes(owner)) owners.push(owner);
  }
  return owners;
}

/** The labels of the rules that matched (condition held), once each: the caller's rules first. */
function labelsOf(judged: readonly Judgement[]): readonly string[] {
  let labels: string[] | undefined;
  for (const j of judged) {
    for (const m of j.labelled) {
      for (const label of m.rule.labels ?? NO_LABELS) {
        labels ??= [];
        if (!labels.includes(label)) labels.push(label);
      }
    }
  }
  return labels ?? NO_LABELS;
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
  signals: Signals,
): ConditionVariables {
  return {
    agent: agent.grants === undefined ? agent : withoutGrants(agent),
    tool: { name: input.tool, server: input.toolServer ?? '' },
    args: input.args ?? EMPTY_ARGS,
    context: input.context ?? {},
    usage: input.usage,
    time: input.time,
    delegation: { depth: delegators.length, chain: delegators.map(agentId) },
    signals,
    task: input.task,
  };
}

/** Conditions never see grants, whatever the engine: a copy without them, made only when there are some. */
function withoutGrants(agent: AgentFacts): Omit<AgentFacts, 'grants'> {
  const { grants: _, ...facts } = agent;
  return facts;
}

function ruleId(compiled: CompiledRule): string {
  return compiled.rule.id;
}

function agentId(agent: AgentFacts): string {
  return agent.id;
}
