import type { AuditEventInput } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import type { AgentDrift } from '../drift/agent-drift.js';
import { invalidField } from '../errors.js';
import type { Trx } from '../storage/database.js';
import type { Reduction } from './campaign.js';

export interface ReductionPlan {
  readonly rules: Reduction['rules'];
  readonly grants: readonly string[];
}

/**
 * What a `reduce` takes away, checked against the agent's permissions now: every rule must be one
 * that grants the agent under the active bundle, every grant one of its grants still in force.
 * Grants are Warden's own and are revoked with the certification; rules live in policy files, so
 * each becomes a change for the policy's owner, described (file, line, the edit) and audited.
 */
export function planReduction(
  drift: AgentDrift | undefined,
  remove: { readonly rules?: readonly string[]; readonly grants?: readonly string[] } | undefined,
): ReductionPlan {
  const rules = remove?.rules ?? [];
  const grants = remove?.grants ?? [];
  if (rules.length === 0 && grants.length === 0) {
    throw invalidField('body.remove', 'a reduction names at least one rule or grant to take away');
  }
  const held = new Map(drift?.rules.map((r) => [r.id, r]) ?? []);
  const candidates = new Map(drift?.candidates.filter((c) => c.kind === 'rule').map((c) => [c.id, c]) ?? []);
  const planned = rules.map((id, i) => {
    const rule = held.get(id);
    if (!rule)
      throw invalidField(`body.remove.rules[${i}]`, `rule '${id}' does not grant this agent anything`);
    const suggestion = candidates.get(id)?.suggestion;
    return {
      id,
      policy: rule.policy,
      file: rule.file,
      line: rule.line,
      policyOwner: rule.policyOwner,
      change:
        suggestion?.summary ??
        `Stop granting rule '${id}' (policy ${rule.policy}, ${rule.file}:${rule.line}) to agent ${drift?.name ?? ''}: take the agent out of the policy's selection or narrow the rule.`,
    };
  });
  const inForce = new Set(drift?.grants.map((g) => g.id) ?? []);
  grants.forEach((id, i) => {
    if (!inForce.has(id))
      throw invalidField(`body.remove.grants[${i}]`, `grant ${id} is not one of the agent's grants in force`);
  });
  return { rules: planned, grants: [...new Set(grants)] };
}

/** Revokes the agent's grants in the caller's transaction, each with its `access.revoke` event. */
export async function revokeGrants(
  trx: Trx,
  tenantId: string,
  agentId: string,
  grantIds: readonly string[],
  principal: HumanPrincipal,
  now: number,
): Promise<{ ids: string[]; events: AuditEventInput[] }> {
  if (grantIds.length === 0) return { ids: [], events: [] };
  const rows = await trx
    .selectFrom('access_grants')
    .select(['id', 'tools'])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .where('id', 'in', [...grantIds])
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
  if (rows.length === 0) return { ids: [], events: [] };
  await trx
    .updateTable('access_grants')
    .set({ revoked_at: now })
    .where('tenant_id', '=', tenantId)
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return {
    ids: rows.map((r) => r.id),
    events: rows.map((row) => ({
      type: 'access.revoke',
      actor: { type: 'human', id: principal.humanId },
      subject: { type: 'agent', id: agentId },
      payload: {
        grantId: row.id,
        tools: JSON.parse(row.tools) as string[],
        reason: 'recertification: reduce',
      },
      at: now,
    })),
  };
}
