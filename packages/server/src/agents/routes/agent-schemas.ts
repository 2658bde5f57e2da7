import { type Static, Type } from 'typebox';
import type { IssuedSecret } from '../../credentials/issue.js';
import { IssuedKeySchema, issuedKeyJson } from '../../credentials/routes/key-schemas.js';
import { IdOf, IsoTime, NullableIsoTime, toIso } from '../../http/schemas.js';
import { AGENT_STATUSES, type Agent, ENVIRONMENTS, RISK_CLASSES, riskLevel, TRUST_TIERS } from '../agent.js';

/** Schema pieces shared by the agent routes. */

export const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,99}$';
export const AgentName = Type.String({ pattern: NAME_PATTERN, description: 'unique in the tenant' });
export const Purpose = Type.String({ minLength: 1, maxLength: 2000 });
export const Risk = Type.Enum([...RISK_CLASSES]);
export const Tier = Type.Enum([...TRUST_TIERS]);
export const Status = Type.Enum([...AGENT_STATUSES]);
export const EnvironmentName = Type.Enum([...ENVIRONMENTS]);
export const Environments = Type.Array(EnvironmentName, { minItems: 1, maxItems: 3, uniqueItems: true });
export const RoleName = Type.String({ pattern: NAME_PATTERN });
export const Roles = Type.Array(RoleName, { uniqueItems: true, maxItems: 100 });
/** Keys are bounded through `propertyNames`: a Record's key schema sets no length limits. */
export const Labels = Type.Record(Type.String(), Type.String({ maxLength: 500 }), {
  maxProperties: 50,
  propertyNames: { minLength: 1, maxLength: 100 },
});
export const MaxChildren = Type.Integer({ minimum: 0, maximum: 1000 });

export const AgentSchema = Type.Object({
  id: IdOf('agt'),
  name: Type.String(),
  ownerId: Type.String(),
  purpose: Type.String(),
  risk: Risk,
  riskLevel: Type.Enum(['low', 'medium', 'high']),
  environments: Type.Array(EnvironmentName),
  tier: Tier,
  roles: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  parentId: Type.Union([Type.String(), Type.Null()]),
  maxChildren: Type.Integer(),
  status: Status,
  recertifyAt: NullableIsoTime,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  lastActiveAt: NullableIsoTime,
  rollbackUrl: Type.Union([Type.String(), Type.Null()]),
  /** Set while the circuit breaker is open: the agent's calls are denied until a human resets it. */
  breaker: Type.Union([Type.Object({ trippedAt: IsoTime, reason: Type.String() }), Type.Null()]),
});
/** An http(s) URL Warden POSTs to when a post-mode review rejects an action the agent took. */
export const RollbackUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048 });

export type AgentJson = Static<typeof AgentSchema>;

export const AgentParams = Type.Object({ id: IdOf('agt') });

/** A new agent (registered or spawned) with its first key, whose secret is shown only here. */
export const AgentCreatedSchema = Type.Object({
  agent: AgentSchema,
  key: IssuedKeySchema,
  secret: Type.String(),
});

export function agentCreatedJson(agent: Agent, key: IssuedSecret): Static<typeof AgentCreatedSchema> {
  return { agent: agentJson(agent), key: issuedKeyJson(key), secret: key.secret };
}

export function agentJson(agent: Agent): AgentJson {
  return {
    id: agent.id,
    name: agent.name,
    ownerId: agent.ownerId,
    purpose: agent.purpose,
    risk: agent.risk,
    riskLevel: riskLevel(agent.risk),
    environments: [...agent.environments],
    tier: agent.tier,
    roles: [...agent.roles],
    labels: { ...agent.labels },
    parentId: agent.parentId,
    maxChildren: agent.maxChildren,
    status: agent.status,
    recertifyAt: toIso(agent.recertifyAt),
    createdAt: toIso(agent.createdAt),
    updatedAt: toIso(agent.updatedAt),
    lastActiveAt: toIso(agent.lastActiveAt),
    rollbackUrl: agent.rollbackUrl,
    breaker: agent.breaker && { trippedAt: toIso(agent.breaker.trippedAt), reason: agent.breaker.reason },
  };
}
