import {
  type AgentFacts,
  type ContextFacts,
  type DecisionInput,
  decide,
  type JsonObject,
  type PolicyBundle,
  type UsageFacts,
} from '@warden/policy';
import type { GrantCache } from '../access/grant-cache.js';
import { type Agent, agentFacts, type Environment } from '../agents/agent.js';
import type { UsageStore } from '../usage/usage-store.js';
import type { DecideContext } from './decide-request.js';
import type { Decided } from './decision.js';

export interface PolicyDeps {
  readonly usage: UsageStore;
  /** Temporary grants from approved access requests. */
  readonly grants: GrantCache;
}

export interface PolicyCall {
  readonly agent: Agent;
  readonly delegators: readonly Agent[];
  readonly environment: Environment;
  readonly tool: string;
  /** As the agent sent them: the engine checks them itself and denies unusable ones as `invalid_input`. */
  readonly args: unknown;
  readonly taskId: string | null;
  readonly context: DecideContext;
  readonly now: number;
}

/**
 * The policy engine's answer on the call's facts, the usage counters it read (for a review), and the
 * input it was given (kept with the decision for replays, and handed to a shadow bundle).
 */
export async function policyDecision(
  deps: PolicyDeps,
  bundle: PolicyBundle,
  call: PolicyCall,
): Promise<{ readonly decision: Decided; readonly usage: UsageFacts; readonly input: DecisionInput }> {
  const { agent, environment, now, context } = call;
  const [usage, facts, delegation] = await Promise.all([
    deps.usage.read(agent.tenantId, agent.id, now),
    factsOf(deps, agent, environment, now),
    call.delegators.length > 0
      ? Promise.all(call.delegators.map((d) => factsOf(deps, d, environment, now)))
      : undefined,
  ]);
  const contextFacts: { -readonly [K in keyof ContextFacts]: ContextFacts[K] } = {};
  if (call.taskId) contextFacts.taskId = call.taskId;
  if (context.initiator) contextFacts.initiator = context.initiator;
  if (context.onBehalfOf) contextFacts.onBehalfOf = context.onBehalfOf;
  if (context.interface) contextFacts.interface = context.interface;
  const at = new Date(now);
  const input: DecisionInput = {
    agent: facts,
    tool: call.tool,
    args: (call.args ?? {}) as JsonObject,
    context: contextFacts,
    usage,
    time: { now: at, hour: at.getUTCHours(), weekday: at.getUTCDay() },
    ...(delegation ? { delegation } : {}),
  };
  const decision = decide(bundle, input);
  return { decision, usage, input };
}

/** What the policy engine knows of an agent acting now: its facts and its unexpired grants. */
async function factsOf(
  deps: PolicyDeps,
  agent: Agent,
  environment: Environment,
  now: number,
): Promise<AgentFacts> {
  const grants = await deps.grants.active(agent.tenantId, agent.id, now);
  const facts = agentFacts(agent, environment);
  return grants.length === 0
    ? facts
    : { ...facts, grants: grants.map((g) => ({ id: g.id, tools: g.tools })) };
}
