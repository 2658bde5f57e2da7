import { type Static, Type } from 'typebox';
import { TRUST_TIERS } from '../../agents/agent.js';
import { IdOf, IsoTime, toIso } from '../../http/schemas.js';
import {
  MAX_CALLS,
  MAX_WINDOW_SECONDS,
  RATE_LIMIT_SCOPES,
  RATE_LIMIT_SOURCES,
  type RateLimitRule,
  RULE_NAME_PATTERN,
  TOOL_GLOB_PATTERN,
} from '../rate-limit-rules.js';

/** Schema pieces shared by the rate-limit routes. */

export const RuleName = Type.String({ pattern: RULE_NAME_PATTERN, description: 'unique in the tenant' });
export const Scope = Type.Enum([...RATE_LIMIT_SCOPES]);
export const Tier = Type.Enum([...TRUST_TIERS]);
export const ToolGlob = Type.String({
  pattern: TOOL_GLOB_PATTERN,
  description: 'a tool name or glob (scope tool)',
});
export const MaxCalls = Type.Integer({ minimum: 1, maximum: MAX_CALLS });
export const WindowSeconds = Type.Integer({ minimum: 1, maximum: MAX_WINDOW_SECONDS });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const RateLimitParams = Type.Object({ id: IdOf('rtl') });

export const RateLimitSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Scope,
  agentId: Type.Union([Type.String(), Type.Null()]),
  tier: Type.Union([Tier, Type.Null()]),
  tool: Type.Union([Type.String(), Type.Null()]),
  maxCalls: Type.Integer(),
  windowSeconds: Type.Integer(),
  source: Type.Enum([...RATE_LIMIT_SOURCES]),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export type RateLimitJson = Static<typeof RateLimitSchema>;

export function rateLimitJson(rule: RateLimitRule): RateLimitJson {
  return {
    id: rule.id,
    name: rule.name,
    scope: rule.scope,
    agentId: rule.agentId,
    tier: rule.tier,
    tool: rule.tool,
    maxCalls: rule.maxCalls,
    windowSeconds: rule.windowSeconds,
    source: rule.source,
    createdAt: toIso(rule.createdAt),
    updatedAt: toIso(rule.updatedAt),
  };
}
