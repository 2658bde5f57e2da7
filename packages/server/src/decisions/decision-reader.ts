import type { Selectable } from 'kysely';
import type { HumanPrincipal } from '../credentials/principal.js';
import { notFound } from '../errors.js';
import { toIso } from '../http/schemas.js';
import type { Storage } from '../storage/database.js';
import type { DecisionsTable, TasksTable } from '../storage/schema.js';
import { hasAnyRole } from '../tenants/roles.js';

/**
 * Read side of decisions and tasks for humans. Arguments can hold personal data, so besides admins,
 * security and auditors only the owner of the acting agent may read them; to anyone else the
 * decision does not exist.
 */
export class DecisionReader {
  constructor(private readonly storage: Storage) {}

  async decision(principal: HumanPrincipal, id: string) {
    const row = await this.storage.db
      .selectFrom('decisions as d')
      .innerJoin('agents as a', 'a.id', 'd.agent_id')
      .selectAll('d')
      .select('a.owner_id')
      .where('d.tenant_id', '=', principal.tenantId)
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row || !mayRead(principal, row.owner_id)) throw notFound('decision', id);
    return actionJson(row);
  }

  async trace(principal: HumanPrincipal, taskId: string) {
    const task = await this.storage.db
      .selectFrom('tasks as t')
      .innerJoin('agents as a', 'a.id', 't.agent_id')
      .selectAll('t')
      .select('a.owner_id')
      .where('t.tenant_id', '=', principal.tenantId)
      .where('t.id', '=', taskId)
      .executeTakeFirst();
    if (!task || !mayRead(principal, task.owner_id)) throw notFound('task', taskId);
    const actions = await this.storage.db
      .selectFrom('decisions')
      .selectAll()
      .where('tenant_id', '=', principal.tenantId)
      .where('task_id', '=', taskId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const children = await this.storage.db
      .selectFrom('tasks')
      .select('id')
      .where('tenant_id', '=', principal.tenantId)
      .where('parent_task_id', '=', taskId)
      .orderBy('created_at')
      .execute();
    return { task: taskJson(task), actions: actions.map(actionJson), children: children.map((c) => c.id) };
  }
}

function mayRead(principal: HumanPrincipal, ownerId: string): boolean {
  return hasAnyRole(principal.roles, ['security', 'auditor']) || principal.humanId === ownerId;
}

function taskJson(task: Selectable<TasksTable>) {
  return {
    id: task.id,
    agentId: task.agent_id,
    parentTaskId: task.parent_task_id,
    initiator: task.initiator,
    onBehalfOf: task.on_behalf_of,
    interface: task.interface,
    environment: task.environment,
    createdAt: toIso(task.created_at),
    lastActionAt: toIso(task.last_action_at),
  };
}

interface StoredDetail {
  decidingAgent?: string;
  rules?: string[];
  approval?: unknown;
  delegators?: string[];
  context?: { reasoning?: string; model?: string; onBehalfOf?: string; initiator?: string };
}

function actionJson(row: Selectable<DecisionsTable>) {
  const detail = JSON.parse(row.detail) as StoredDetail;
  const outcome = row.outcome === null ? null : (JSON.parse(row.outcome) as Record<string, unknown>);
  return {
    decisionId: row.id,
    agentId: row.agent_id,
    taskId: row.task_id,
    tool: row.tool,
    args: JSON.parse(row.args) as Record<string, unknown>,
    effect: row.effect,
    code: row.code,
    reason: row.reason,
    decidingRule: row.deciding_rule,
    decidingAgent: detail.decidingAgent ?? row.agent_id,
    rules: detail.rules ?? [],
    approval: detail.approval ?? null,
    delegation: detail.delegators ?? [],
    reasoning: detail.context?.reasoning ?? null,
    model: detail.context?.model ?? null,
    onBehalfOf: detail.context?.onBehalfOf ?? null,
    policyVersion: row.policy_version,
    evaluationMicros: row.evaluation_micros,
    decidedAt: toIso(row.created_at),
    outcome: outcome && {
      status: String(outcome.status),
      costUsd: (outcome.costUsd as number | undefined) ?? null,
      tokens: (outcome.tokens as number | undefined) ?? null,
      records: (outcome.records as number | undefined) ?? null,
      durationMs: (outcome.durationMs as number | undefined) ?? null,
      error: (outcome.error as string | undefined) ?? null,
      output: outcome.output ?? null,
      violation: outcome.violation === true,
      reportedAt: toIso(row.outcome_at),
    },
  };
}
