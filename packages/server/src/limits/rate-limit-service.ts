import type { AuditActor, AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { invalidField, notFound, WardenError } from '../errors.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import { lockTenant } from '../tenants/lock.js';
import {
  checkRateLimitRule,
  type RateLimitRule,
  type RateLimitRuleInput,
  ruleChanges,
  ruleDefinition,
} from './rate-limit-rules.js';
import {
  deleteRule,
  findRule,
  findRuleByName,
  hasChanges,
  insertRule,
  listRules,
  type RateLimitChanges,
  replaceFromConfig,
  updateRule,
} from './rate-limit-store.js';

export interface RateLimitDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly clock: () => number;
}

/** A new rule: the selector and tool may be left out (null). */
export type RateLimitCreate = Omit<RateLimitRuleInput, 'agentId' | 'tier' | 'tool'> &
  Partial<Pick<RateLimitRuleInput, 'agentId' | 'tier' | 'tool'>>;
/** A change: the fields given replace the rule's; null clears the selector or tool. */
export type RateLimitPatch = Partial<RateLimitRuleInput>;

/**
 * Rate-limit definitions. Each change is one transaction with its audit event; `rate_limits.changed`
 * goes out after commit so every node reloads the tenant's rules before its next call.
 */
export class RateLimitService {
  constructor(private readonly deps: RateLimitDeps) {}

  list(tenantId: string): Promise<RateLimitRule[]> {
    return listRules(this.deps.storage.db, tenantId);
  }

  async create(principal: HumanPrincipal, input: RateLimitCreate): Promise<RateLimitRule> {
    const rule = checked(input);
    const tenantId = principal.tenantId;
    const created = await this.write(tenantId, async (trx, now) => {
      await this.checkAgent(trx, tenantId, rule);
      await this.checkNameFree(trx, tenantId, rule.name, null);
      const created = await insertRule(trx, tenantId, rule, 'api', now);
      await this.deps.audit.append(trx, tenantId, [
        event(
          'rate_limit.create',
          actorOf(principal),
          created.id,
          { ...ruleDefinition(created), source: 'api' },
          now,
        ),
      ]);
      return created;
    });
    return created;
  }

  async update(principal: HumanPrincipal, id: string, patch: RateLimitPatch): Promise<RateLimitRule> {
    const tenantId = principal.tenantId;
    return this.write(tenantId, async (trx, now) => {
      const before = await this.editable(trx, tenantId, id, 'changed');
      const rule = checked({ ...ruleDefinition(before), ...patch });
      const changes = ruleChanges(before, rule);
      if (Object.keys(changes).length === 0) return before;
      if (rule.agentId !== before.agentId) await this.checkAgent(trx, tenantId, rule);
      if (rule.name !== before.name) await this.checkNameFree(trx, tenantId, rule.name, id);
      const after = await updateRule(trx, before, rule, now);
      await this.deps.audit.append(trx, tenantId, [
        event('rate_limit.update', actorOf(principal), id, { name: after.name, changes }, now),
      ]);
      return after;
    });
  }

  async remove(principal: HumanPrincipal, id: string): Promise<RateLimitRule> {
    const tenantId = principal.tenantId;
    return this.write(tenantId, async (trx, now) => {
      const rule = await this.editable(trx, tenantId, id, 'deleted');
      await deleteRule(trx, rule);
      await this.deps.audit.append(trx, tenantId, [
        event(
          'rate_limit.delete',
          actorOf(principal),
          id,
          { ...ruleDefinition(rule), source: rule.source },
          now,
        ),
      ]);
      return rule;
    });
  }

  /**
   * Makes the tenant's budgets-file rules equal to `rules` (checked with checkRateLimitRules), audited
   * as `rate_limit.*` by `actor`. Use `replaceFromConfig` + `rateLimitAuditEvents` instead to do it
   * inside a larger transaction (then publish `rate_limits.changed` after its commit).
   */
  async syncFromConfig(
    tenantId: string,
    rules: readonly RateLimitRuleInput[],
    actor: AuditActor,
  ): Promise<RateLimitChanges> {
    return this.write(tenantId, async (trx, now) => {
      const changes = await replaceFromConfig(trx, tenantId, rules, now);
      if (hasChanges(changes))
        await this.deps.audit.append(trx, tenantId, rateLimitAuditEvents(changes, actor, now));
      return changes;
    });
  }

  /** One transaction under the tenant lock (unique names across nodes), then the signal. */
  private async write<T>(tenantId: string, work: (trx: Trx, now: number) => Promise<T>): Promise<T> {
    const { storage, signals, clock } = this.deps;
    const result = await writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      return work(trx, clock());
    });
    await signals.publish({ type: 'rate_limits.changed', tenantId });
    return result;
  }

  private async editable(trx: Trx, tenantId: string, id: string, verb: string): Promise<RateLimitRule> {
    const rule = await findRule(trx, tenantId, id);
    if (!rule) throw notFound('rate limit', id);
    if (rule.source === 'config') {
      throw new WardenError(
        'conflict',
        `rate limit ${rule.name} is managed by the budgets file; it is ${verb} there, not through the API`,
        { source: 'config' },
      );
    }
    return rule;
  }

  private async checkAgent(trx: Trx, tenantId: string, rule: RateLimitRuleInput): Promise<void> {
    if (rule.agentId === null) return;
    const agent = await trx
      .selectFrom('agents')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', rule.agentId)
      .executeTakeFirst();
    if (!agent) throw invalidField('body.agentId', `no agent ${rule.agentId} in this tenant`);
  }

  private async checkNameFree(trx: Trx, tenantId: string, name: string, self: string | null): Promise<void> {
    const taken = await findRuleByName(trx, tenantId, name);
    if (taken && taken.id !== self)
      throw new WardenError('conflict', `a rate limit named ${name} already exists`, { field: 'body.name' });
  }
}

function checked(input: RateLimitCreate | RateLimitPatch): RateLimitRuleInput {
  const result = checkRateLimitRule(input, 'body');
  if (!result.ok) throw invalidField(result.field, result.message);
  return result.rule;
}

function event(
  type: string,
  actor: AuditActor,
  id: string,
  payload: AuditEventInput['payload'],
  at: number,
): AuditEventInput {
  return { type, actor, subject: { type: 'rate_limit', id }, payload, at };
}

/** The audit events of a budgets-file sync, for appending in the caller's transaction. */
export function rateLimitAuditEvents(
  changes: RateLimitChanges,
  actor: AuditActor,
  now: number,
): AuditEventInput[] {
  return [
    ...changes.deleted.map((rule) =>
      event('rate_limit.delete', actor, rule.id, { ...ruleDefinition(rule), source: 'config' }, now),
    ),
    ...changes.updated.map(({ before, after }) =>
      event(
        'rate_limit.update',
        actor,
        after.id,
        { name: after.name, changes: ruleChanges(before, after), source: 'config' },
        now,
      ),
    ),
    ...changes.created.map((rule) =>
      event('rate_limit.create', actor, rule.id, { ...ruleDefinition(rule), source: 'config' }, now),
    ),
  ];
}
