import type { JsonValue } from '@warden/policy';
import type { AuditEventInput } from '../audit/audit-log.js';
import { revokeSessionsOfHuman } from '../console/session-store.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { type Trx, writeTransaction } from '../storage/database.js';
import type { TenantDeps } from './deps.js';
import { type Human, type HumanStatus, humanFromRow } from './human.js';
import { lockTenant } from './lock.js';
import type { HumanRole } from './roles.js';

export interface HumanPatch {
  readonly name?: string;
  readonly roles?: readonly HumanRole[];
  readonly status?: HumanStatus;
}

export type HumanChanges = Record<string, { from: JsonValue; to: JsonValue }>;

/** The humans of a tenant: who they are, their roles, and whether they may sign in. */
export class HumanService {
  constructor(private readonly deps: TenantDeps) {}

  async create(
    principal: HumanPrincipal,
    input: { email: string; name: string; roles: readonly HumanRole[] },
  ): Promise<Human> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    // Addresses are compared case-insensitively, so one person cannot hold two accounts.
    const email = input.email.toLowerCase();
    return writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      const taken = await trx
        .selectFrom('humans')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
        .executeTakeFirst();
      if (taken) throw new WardenError('conflict', `a human with email ${email} already exists`);
      const now = clock();
      const human: Human = {
        id: newId('usr', now),
        tenantId,
        email,
        name: input.name,
        roles: [...input.roles],
        status: 'active',
        createdAt: now,
        updatedAt: now,
      };
      await trx
        .insertInto('humans')
        .values({
          id: human.id,
          tenant_id: tenantId,
          email,
          name: human.name,
          roles: JSON.stringify(human.roles),
          status: human.status,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await audit.append(trx, tenantId, [
        {
          type: 'human.create',
          actor: actorOf(principal),
          subject: { type: 'human', id: human.id },
          payload: { email, name: human.name, roles: [...human.roles] },
          at: now,
        },
      ]);
      return human;
    });
  }

  async list(tenantId: string, filter: { role?: HumanRole; status?: HumanStatus } = {}): Promise<Human[]> {
    let query = this.deps.storage.db.selectFrom('humans').selectAll().where('tenant_id', '=', tenantId);
    // Roles are a JSON array of a closed set of plain words, so a quoted match is exact.
    if (filter.role) query = query.where('roles', 'like', `%"${filter.role}"%`);
    if (filter.status) query = query.where('status', '=', filter.status);
    const rows = await query.orderBy('id').execute();
    return rows.map(humanFromRow);
  }

  async get(tenantId: string, id: string): Promise<Human> {
    const row = await this.deps.storage.db
      .selectFrom('humans')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('human', id);
    return humanFromRow(row);
  }

  async groupsOf(tenantId: string, humanId: string): Promise<{ id: string; name: string }[]> {
    return this.deps.storage.db
      .selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .select(['g.id', 'g.name'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.human_id', '=', humanId)
      .orderBy('g.name')
      .execute();
  }

  /** Applies `patch`; a change of roles or status reaches every node's credential cache at once. */
  async update(
    principal: HumanPrincipal,
    id: string,
    patch: HumanPatch,
  ): Promise<{ human: Human; changes: HumanChanges }> {
    const { storage, audit, signals, clock } = this.deps;
    const tenantId = principal.tenantId;
    const result = await writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      const row = await trx
        .selectFrom('humans')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw notFound('human', id);
      const before = humanFromRow(row);
      const changes = diff(before, patch);
      if (Object.keys(changes).length === 0) return { human: before, changes };
      const now = clock();
      const after: Human = {
        ...before,
        name: patch.name ?? before.name,
        roles: patch.roles ? [...patch.roles] : before.roles,
        status: patch.status ?? before.status,
        updatedAt: now,
      };
      if (isActiveAdmin(before) && !isActiveAdmin(after) && !(await anotherActiveAdmin(trx, tenantId, id))) {
        throw new WardenError(
          'conflict',
          'this is the last active admin of the tenant: make someone else an admin first',
        );
      }
      await trx
        .updateTable('humans')
        .set({ name: after.name, roles: JSON.stringify(after.roles), status: after.status, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      const events: AuditEventInput[] = [
        {
          type: 'human.update',
          actor: actorOf(principal),
          subject: { type: 'human', id },
          payload: { changes },
          at: now,
        },
      ];
      // A disabled human's console sessions end with it (re-enabling them does not bring those back).
      if (after.status === 'disabled' && before.status !== 'disabled') {
        const ended = await revokeSessionsOfHuman(trx, tenantId, id, now, 'human_disabled');
        if (ended.length > 0) {
          events.push({
            type: 'console.session_revoke',
            actor: actorOf(principal),
            subject: { type: 'human', id },
            payload: { sessions: ended, reason: 'human_disabled' },
            at: now,
          });
        }
      }
      await audit.append(trx, tenantId, events);
      return { human: after, changes };
    });
    if (Object.keys(result.changes).length > 0) {
      await signals.publish({ type: 'human.changed', tenantId, humanId: id });
    }
    return result;
  }
}

function diff(before: Human, patch: HumanPatch): HumanChanges {
  const changes: HumanChanges = {};
  if (patch.name !== undefined && patch.name !== before.name) {
    changes.name = { from: before.name, to: patch.name };
  }
  if (patch.roles && !sameSet(patch.roles, before.roles)) {
    changes.roles = { from: [...before.roles], to: [...patch.roles] };
  }
  if (patch.status !== undefined && patch.status !== before.status) {
    changes.status = { from: before.status, to: patch.status };
  }
  return changes;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

function isActiveAdmin(human: Human): boolean {
  return human.status === 'active' && human.roles.includes('admin');
}

async function anotherActiveAdmin(trx: Trx, tenantId: string, exceptId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('humans')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'active')
    .where('roles', 'like', '%"admin"%')
    .where('id', '!=', exceptId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
