import {
  type AgentFacts,
  type ContextFacts,
  type DecisionInput,
  decide,
  EMPTY_TASK,
  type JsonObject,
  type PolicyBundle,
  type UsageFacts,
} from '@warden/policy';
import type { GrantCache } from '../access/grant-cache.js';
import { type Agent, agentFacts, type Environment } from '../agents/agent.js';
import type { UsageStore } from '../usage/usage-store.js';
import type { DecideContext } from './decide-request.js';
import type { Decided } from './decision.js';
import type { HistoryCheck } from './history-check.js';
import type { TaskHistory, TaskHistoryRead } from './task-history.js';

export interface PolicyDeps {
  readonly usage: UsageStore;
  /** Temporary grants from approved access requests. */
  readonly grants: GrantCache;
  /** The task's history, read only for bundles whose conditions read `task`. */
  readonly history: TaskHistory;
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
 * The policy engine's answer on the call's facts, the usage counters it read (for a review), the
 * input it was given (kept with the decision for replays, and handed to a shadow bundle), and, when
 * the verdict read the history of the call's task, what the record step re-checks it against.
 */
export async function policyDecision(
  deps: PolicyDeps,
  bundle: PolicyBundle,
  call: PolicyCall,
): Promise<{
  readonly decision: Decided;
  readonly usage: UsageFacts;
  readonly input: DecisionInput;
  readonly history?: HistoryCheck;
}> {
  const { agent, environment, now, context } = call;
  const [usage, facts, delegation, task] = await Promise.all([
    deps.usage.read(agent.tenantId, agent.id, now),
    factsOf(deps, agent, environment, now),
    call.delegators.length > 0
      ? Promise.all(call.delegators.map((d) => factsOf(deps, d, environment, now)))
      : undefined,
    historyOf(deps, bundle, agent.tenantId, call.taskId),
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
    ...(context.signals ? { signals: context.signals } : {}),
  };
  // What the engine is given, with the task's history when the bundle reads it: a replay or a shadow
  // bundle then sees the same facts the verdict stood on.
  const given = task ? { ...input, task: task.facts } : input;
  const decision = decide(bundle, given);
  // A call outside any task reads an empty history, which nothing else can change.
  const history =
    task && call.taskId
      ? { history: { bundle, input, task: task.facts, seq: task.seq, effect: decision.effect } }
      : {};
  return { decision, usage, input: given, ...history };
}

/** The history of the call's task, for a bundle that reads it; a call outside a task has none. */
async function historyOf(
  deps: PolicyDeps,
  bundle: PolicyBundle,
  tenantId: string,
  taskId: string | null,
): Promise<TaskHistoryRead | undefined> {
  if (!bundle.readsTask) return undefined;
  return taskId ? deps.history.read(tenantId, taskId) : { facts: EMPTY_TASK, seq: 0 };
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
