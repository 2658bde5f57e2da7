import type { Approver } from '@warden/policy';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { HumanRole } from '../tenants/roles.js';

export interface DirectoryHuman {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly HumanRole[];
}

export interface DirectoryGroup {
  readonly name: string;
  readonly onCall: boolean;
  /** Active members in on-call order: the first is on call now. */
  readonly members: readonly string[];
}

/**
 * A tenant's active humans and groups, read once per routing decision. Tenants hold people in the
 * hundreds, so one read beats a query per approver.
 */
export class Directory {
  private constructor(
    readonly humans: ReadonlyMap<string, DirectoryHuman>,
    private readonly groups: ReadonlyMap<string, DirectoryGroup>,
    /** Whether the tenant has a step-up hook: who re-authenticates initiators who are not Warden users. */
    readonly stepUpHook: boolean,
  ) {}

  static async load(db: Kysely<Database>, tenantId: string): Promise<Directory> {
    const humanRows = await db
      .selectFrom('humans')
      .select(['id', 'email', 'name', 'roles'])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .execute();
    const humans = new Map<string, DirectoryHuman>();
    for (const row of humanRows) {
      humans.set(row.id, { ...row, roles: JSON.parse(row.roles) as HumanRole[] });
    }
    const groupRows = await db
      .selectFrom('groups')
      .select(['id', 'name', 'on_call'])
      .where('tenant_id', '=', tenantId)
      .execute();
    const memberRows = await db
      .selectFrom('group_members')
      .select(['group_id', 'human_id'])
      .where('tenant_id', '=', tenantId)
      .orderBy('position')
      .execute();
    const groups = new Map<string, DirectoryGroup>();
    for (const row of groupRows) {
      const members = memberRows
        .filter((m) => m.group_id === row.id && humans.has(m.human_id))
        .map((m) => m.human_id);
      groups.set(row.name, { name: row.name, onCall: row.on_call === 1, members });
    }
    const hook = await db
      .selectFrom('step_up_hooks')
      .select('tenant_id')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return new Directory(humans, groups, hook !== undefined);
  }

  group(name: string): DirectoryGroup | undefined {
    return this.groups.get(name);
  }

  withRole(role: HumanRole): string[] {
    return [...this.humans.values()].filter((h) => h.roles.includes(role)).map((h) => h.id);
  }

  /**
   * A human named in a policy (`user:<name>`, a policy's owner) or in a task's context: their id,
   * their e-mail address, or the local part of their address or their display name when only one
   * human has it. Undefined when nobody (or more than one human) matches.
   */
  resolve(reference: string | null | undefined): string | undefined {
    if (!reference) return undefined;
    const wanted = reference.trim().toLowerCase();
    if (this.humans.has(reference.trim())) return reference.trim();
    const byEmail = [...this.humans.values()].find((h) => h.email.toLowerCase() === wanted);
    if (byEmail) return byEmail.id;
    const byLocal = [...this.humans.values()].filter(
      (h) => h.email.toLowerCase().split('@')[0] === wanted || h.name.toLowerCase() === wanted,
    );
    return byLocal.length === 1 ? byLocal[0]?.id : undefined;
  }
}

/** Who an approver entry stands for; the initiator comes from the request. */
export interface Audience {
  /** Humans who may decide this stage. */
  readonly eligible: readonly string[];
  /** Per on-call group, the person on call now: they are notified first. */
  readonly onCall: readonly string[];
}

export interface AudienceOptions {
  /** The human an `initiator` approver stands for (the on-behalf-of human, else the initiator). */
  readonly initiatorId: string | null;
  /** Groups that, when missing or empty, fall back to humans with these roles. */
  readonly fallbackRoles: Readonly<Record<string, readonly HumanRole[]>>;
}

/**
 * The humans behind a stage's approvers. A stage without approvers goes to the tenant's default
 * reviewers: humans with the `approver` role, or the admins when there are none.
 */
export function audienceOf(
  directory: Directory,
  approvers: readonly Approver[],
  options: AudienceOptions,
): Audience {
  const eligible = new Set<string>();
  const onCall: string[] = [];
  if (approvers.length === 0) {
    const reviewers = directory.withRole('approver');
    for (const id of reviewers.length > 0 ? reviewers : directory.withRole('admin')) eligible.add(id);
  }
  for (const approver of approvers) {
    if (approver.kind === 'initiator') {
      if (options.initiatorId && directory.humans.has(options.initiatorId)) eligible.add(options.initiatorId);
    } else if (approver.kind === 'user') {
      const id = directory.resolve(approver.name);
      if (id) eligible.add(id);
    } else {
      const group = directory.group(approver.name);
      if (group && group.members.length > 0) {
        for (const id of group.members) eligible.add(id);
        const first = group.members[0];
        if (group.onCall && first) onCall.push(first);
      } else {
        for (const role of options.fallbackRoles[approver.name] ?? []) {
          for (const id of directory.withRole(role)) eligible.add(id);
        }
      }
    }
  }
  return { eligible: [...eligible], onCall };
}
