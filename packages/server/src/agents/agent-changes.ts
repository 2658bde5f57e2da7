import type { JsonValue } from '@warden/policy';
import { toIso } from '../http/schemas.js';
import type { Agent, Environment, RiskClass, TrustTier } from './agent.js';

/** The fields a PATCH may set, already schema-checked; recertifyAt as parsed epoch ms. */
export interface AgentPatch {
  readonly purpose?: string;
  readonly risk?: RiskClass;
  readonly environments?: readonly Environment[];
  readonly roles?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly maxChildren?: number;
  readonly ownerId?: string;
  readonly recertifyAt?: number | null;
  readonly tier?: TrustTier;
  readonly rollbackUrl?: string | null;
}

export type Changes = Record<string, { from: JsonValue; to: JsonValue }>;

/**
 * Applies `patch` to `agent` and returns what actually changed, in API form (ISO times). Roles and
 * environments are sets and labels a map: the same members in another order is no change.
 */
export function applyPatch(agent: Agent, patch: AgentPatch): { next: Agent; changes: Changes } {
  const changes: Changes = {};
  let next: Agent = agent;
  const set = <K extends keyof Agent>(field: K, value: Agent[K], from: JsonValue, to: JsonValue) => {
    changes[field] = { from, to };
    next = { ...next, [field]: value };
  };

  if (patch.purpose !== undefined && patch.purpose !== agent.purpose)
    set('purpose', patch.purpose, agent.purpose, patch.purpose);
  if (patch.risk !== undefined && patch.risk !== agent.risk) set('risk', patch.risk, agent.risk, patch.risk);
  if (patch.environments !== undefined && !sameSet(patch.environments, agent.environments))
    set('environments', patch.environments, [...agent.environments], [...patch.environments]);
  if (patch.roles !== undefined && !sameSet(patch.roles, agent.roles))
    set('roles', patch.roles, [...agent.roles], [...patch.roles]);
  if (patch.labels !== undefined && !sameLabels(patch.labels, agent.labels))
    set('labels', patch.labels, { ...agent.labels }, { ...patch.labels });
  if (patch.maxChildren !== undefined && patch.maxChildren !== agent.maxChildren)
    set('maxChildren', patch.maxChildren, agent.maxChildren, patch.maxChildren);
  if (patch.ownerId !== undefined && patch.ownerId !== agent.ownerId)
    set('ownerId', patch.ownerId, agent.ownerId, patch.ownerId);
  if (patch.recertifyAt !== undefined && patch.recertifyAt !== agent.recertifyAt)
    set('recertifyAt', patch.recertifyAt, toIso(agent.recertifyAt), toIso(patch.recertifyAt));
  if (patch.tier !== undefined && patch.tier !== agent.tier) set('tier', patch.tier, agent.tier, patch.tier);
  if (patch.rollbackUrl !== undefined && patch.rollbackUrl !== agent.rollbackUrl)
    set('rollbackUrl', patch.rollbackUrl, agent.rollbackUrl, patch.rollbackUrl);
  return { next, changes };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const members = new Set(b);
  return a.every((item) => members.has(item));
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key])
  );
}
