import type { PolicyBundle } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import type { TenantState } from '../kill/tenant-state.js';
import type { RateLimitCache } from '../limits/rate-limit-cache.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { type Decided, serverDeny } from './decision.js';

export interface GateDeps {
  /** The tenant-wide kill switch. */
  readonly tenants: TenantState;
  /** Sliding-window call limits: which apply (rules) and the counters (memory or Redis). */
  readonly rateLimits: { readonly rules: RateLimitCache; readonly limiter: RateLimiter };
}

export interface GateInput {
  readonly agent: Agent;
  readonly delegators: readonly Agent[];
  readonly bundle: PolicyBundle | undefined;
  readonly taskId: string | null;
  readonly tool: string;
  readonly now: number;
}

/** A deny the server gives before (instead of) the policy engine. */
export interface GateDeny {
  readonly decision: Decided;
  /** For `rate_limited`: when to try again. */
  readonly retryAfterSeconds?: number;
}

/**
 * The server's checks before policy, in order: tenant freeze, the status of the agent and of every
 * agent it acts for, their circuit breakers, an active policy, rate limits. The first that fails
 * is the answer; none failing is undefined.
 */
export async function firstGateDeny(deps: GateDeps, input: GateInput): Promise<GateDeny | undefined> {
  const { agent, delegators, bundle } = input;
  const policyVersion = bundle?.version ?? 'none';
  const freeze = await deps.tenants.frozen(agent.tenantId);
  if (freeze) {
    return deny(
      serverDeny(
        'tenant_frozen',
        `the tenant is frozen${freeze.reason ? ` (${freeze.reason})` : ''}: every call is denied until an admin lifts the freeze`,
        agent.id,
        policyVersion,
      ),
    );
  }
  const inactive =
    delegators.find((a) => a.status !== 'active') ?? (agent.status !== 'active' ? agent : undefined);
  if (inactive) {
    const who = inactive.id === agent.id ? 'this agent' : `delegating agent ${inactive.id}`;
    return deny(
      serverDeny(
        inactive.status === 'suspended'
          ? 'agent_suspended'
          : inactive.status === 'pending'
            ? 'agent_pending'
            : 'agent_retired',
        inactive.status === 'pending'
          ? `${who} is pending activation by an admin; no call is allowed until then`
          : `${who} is ${inactive.status}; no call is allowed — ask its owner or security`,
        inactive.id,
        policyVersion,
      ),
    );
  }
  const broken = delegators.find((a) => a.breaker !== null) ?? (agent.breaker !== null ? agent : undefined);
  if (broken) {
    const who = broken.id === agent.id ? 'this agent' : `delegating agent ${broken.id}`;
    return deny(
      serverDeny(
        'circuit_open',
        `the circuit breaker of ${who} is open (${broken.breaker?.reason}); calls are denied until a human resets it`,
        broken.id,
        policyVersion,
      ),
    );
  }
  if (!bundle) {
    return deny(
      serverDeny('no_policy', 'no policy is active for this tenant: everything is denied', agent.id, 'none'),
    );
  }
  return rateLimited(deps, input, policyVersion);
}

function deny(decision: Decided): GateDeny {
  return { decision };
}

/**
 * Rate limits come last before policy: every attempt counts, a denied one too, so a runaway agent
 * hammering denied calls is slowed down as well. A limit store that cannot answer is a deny
 * (fail closed) unless the operator chose fail open.
 */
async function rateLimited(
  deps: GateDeps,
  input: GateInput,
  policyVersion: string,
): Promise<GateDeny | undefined> {
  const { rules, limiter } = deps.rateLimits;
  const { agent } = input;
  const keys = await rules.keys(agent, input.taskId, input.tool);
  if (keys.length === 0) return undefined;
  const result = await limiter.hit(keys, input.now);
  if (result.ok) return undefined;
  if (result.code === 'unavailable') {
    return deny(
      serverDeny(
        'limits_unavailable',
        `rate limits cannot be checked (${result.message}); calls are denied until they can (fail mode closed)`,
        agent.id,
        policyVersion,
      ),
    );
  }
  const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
  return {
    decision: serverDeny(
      'rate_limited',
      `rate limit ${result.ruleId} allows ${result.limit} calls per ${result.windowMs / 1000} s; retry in ${retryAfterSeconds} s`,
      agent.id,
      policyVersion,
    ),
    retryAfterSeconds,
  };
}
