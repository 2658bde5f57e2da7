import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { invalidField, notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { type Trx, writeTransaction } from '../storage/database.js';
import type { TenantDeps } from './deps.js';
import { lockTenant } from './lock.js';

export interface GroupMember {
  readonly humanId: string;
  readonly email: string;
  readonly name: string;
  /** Place in the on-call order, from 0. */
  readonly position: number;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly onCall: boolean;
  readonly members: readonly GroupMember[];
  readonly createdAt: number;
}

/** Named sets of humans, optionally an on-call rotation; approvals are routed to them. */
export class GroupService {
  constructor(private readonly deps: TenantDeps) {}

  async create(
    principal: HumanPrincipal,
    input: { name: string; onCall?: boolean; members?: readonly string[] },
  ): Promise<Group> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    const memberIds = input.members ?? [];
    return writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      const taken = await trx
        .selectFrom('groups')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (taken) throw new WardenError('conflict', `a group named ${input.name} already exists`);
      await checkMembers(trx, tenantId, memberIds);
      const now = clock();
      const id = newId('grp', now);
      const onCall = input.onCall ?? false;
      await trx
        .insertInto('groups')
        .values({ id, tenant_id: tenantId, name: input.name, on_call: onCall ? 1 : 0, created_at: now })
        .execute();
      await insertMembers(trx, tenantId, id, memberIds);
      await audit.append(trx, tenantId, [
        {
          type: 'group.create',
          actor: actorOf(principal),
          subject: { type: 'group', id },
          payload: { name: input.name, onCall, members: [...memberIds] },
          at: now,
        },
      ]);
      return findGroup(trx, tenantId, id);
    });
  }

  async list(tenantId: string): Promise<Group[]> {
    return loadGroups(this.deps.storage.db, tenantId);
  }

  async get(tenantId: string, id: string): Promise<Group> {
    return findGroup(this.deps.storage.db, tenantId, id);
  }

  /** Replaces the membership; the order given is the on-call order. */
  async setMembers(principal: HumanPrincipal, id: string, memberIds: readonly string[]): Promise<Group> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    return writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      const before = await findGroup(trx, tenantId, id);
      await checkMembers(trx, tenantId, memberIds);
      const from = before.members.map((m) => m.humanId);
      if (from.length === memberIds.length && from.every((humanId, i) => humanId === memberIds[i])) {
        return before;
      }
      await trx
        .deleteFrom('group_members')
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', id)
        .execute();
      await insertMembers(trx, tenantId, id, memberIds);
      const now = clock();
      await audit.append(trx, tenantId, [
        {
          type: 'group.update',
          actor: actorOf(principal),
          subject: { type: 'group', id },
          payload: { changes: { members: { from, to: [...memberIds] } } },
          at: now,
        },
      ]);
      return findGroup(trx, tenantId, id);
    });
  }

  async delete(principal: HumanPrincipal, id: string): Promise<Group> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    return writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      const group = await findGroup(trx, tenantId, id);
      await trx
        .deleteFrom('group_members')
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', id)
        .execute();
      await trx.deleteFrom('groups').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      await audit.append(trx, tenantId, [
        {
          type: 'group.delete',
          actor: actorOf(principal),
          subject: { type: 'group', id },
          payload: { name: group.name, members: group.members.map((m) => m.humanId) },
          at: clock(),
        },
      ]);
      return group;
    });
  }
}

type Reader = Pick<Trx, 'selectFrom'>;

/** Every member must be a human of this tenant, listed once; the error names the offending entry. */
async function checkMembers(trx: Reader, tenantId: string, memberIds: readonly string[]): Promise<void> {
  if (memberIds.length === 0) return;
  const rows = await trx
    .selectFrom('humans')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...memberIds])
    .execute();
  const known = new Set(rows.map((row) => row.id));
  const seen = new Set<string>();
  for (const [i, humanId] of memberIds.entries()) {
    if (!known.has(humanId))
      throw invalidField(`body.members[${i}]`, `${humanId} is not a human of this tenant`);
    if (seen.has(humanId)) throw invalidField(`body.members[${i}]`, `${humanId} is listed twice`);
    seen.add(humanId);
  }
}

async function insertMembers(trx: Trx, tenantId: string, groupId: string, memberIds: readonly string[]) {
  if (memberIds.length === 0) return;
  await trx
    .insertInto('group_members')
    .values(
      memberIds.map((humanId, position) => ({
        tenant_id: tenantId,
        group_id: groupId,
        human_id: humanId,
        position,
      })),
    )
    .execute();
}

async function findGroup(db: Reader, tenantId: string, id: string): Promise<Group> {
  const [group] = await loadGroups(db, tenantId, id);
  if (!group) throw notFound('group', id);
  return group;
}

async function loadGroups(db: Reader, tenantId: string, id?: string): Promise<Group[]> {
  let groups = db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId);
  let members = db
    .selectFrom('group_members as m')
    .innerJoin('humans as h', 'h.id', 'm.human_id')
    .select(['m.group_id', 'm.human_id', 'm.position', 'h.email', 'h.name'])
    .where('m.tenant_id', '=', tenantId);
  if (id) {
    groups = groups.where('id', '=', id);
    members = members.where('m.group_id', '=', id);
  }
  const groupRows = await groups.orderBy('name').execute();
  const memberRows = await members.orderBy('m.position').execute();
  const byGroup = new Map<string, GroupMember[]>();
  for (const row of memberRows) {
    const list = byGroup.get(row.group_id) ?? [];
    list.push({ humanId: row.human_id, email: row.email, name: row.name, position: row.position });
    byGroup.set(row.group_id, list);
  }
  return groupRows.map((row) => ({
    id: row.id,
    name: row.name,
    onCall: row.on_call === 1,
    members: byGroup.get(row.id) ?? [],
    createdAt: row.created_at,
  }));
}
