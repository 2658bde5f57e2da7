/**
 * Seeds a node's database with what the console reads at scale: 1,000 agents (owners, tiers,
 * statuses, roles of the example policies) and about 1,000,000 audit events over the last 30 days —
 * decisions (allow, review, deny) with their rows and tasks, outcomes with costs, approval requests
 * and votes, budget alerts, anomaly notices and breaker trips with incidents — plus the agents' daily
 * and hourly usage, budgets and their current counters, and a few live approvals waiting for people.
 *
 * Every event goes through the real audit log (`AuditLog.append`, in transactions of a few thousand
 * events), so the Merkle tree, the sealing of payloads and the MACs are the node's own and inclusion
 * proofs verify; nothing is written around it. What is bypassed is the decide pipeline: the decision,
 * task and approval rows are written in bulk with the columns the pipeline writes, and the usage
 * buckets are summed here and written once. The live approvals at the end go through POST /v1/decide.
 *
 * Run alone: `tsx --conditions=@warden/source bench/console-seed.ts [sqlite-file | postgres-url]`;
 * bench/console.ts calls `seedConsole` (and keeps the SQLite file for the next run).
 */
import { pathToFileURL } from 'node:url';
import { type Insertable, sql } from 'kysely';
import { agentToRow } from '../packages/server/src/agents/agent.js';
import type { AuditEventInput } from '../packages/server/src/audit/audit-log.js';
import { findBudget } from '../packages/server/src/budgets/budget-store.js';
import { windowOf } from '../packages/server/src/budgets/windows.js';
import { issueAgentKey, issueHumanToken } from '../packages/server/src/credentials/issue.js';
import { newId } from '../packages/server/src/ids.js';
import type { WardenNode } from '../packages/server/src/main.js';
import { writeTransaction } from '../packages/server/src/storage/database.js';
import type {
  ApprovalRequestsTable,
  DecisionsTable,
  TasksTable,
} from '../packages/server/src/storage/schema.js';

export interface SeedOptions {
  readonly agents?: number;
  /** Audit events to reach, approximately (the batches end on whole decisions). */
  readonly events?: number;
  readonly days?: number;
  /** Progress lines go here (stderr by default). */
  readonly log?: (line: string) => void;
}

/** The human tokens the benchmark signs in with, one per role the console's pages are checked for. */
export interface SeededTokens {
  readonly admin: string;
  readonly auditor: string;
  readonly approver: string;
  readonly owner: string;
}

export interface SeedResult {
  readonly tenantId: string;
  readonly agents: number;
  readonly events: number;
  readonly seconds: number;
  readonly tokens: SeededTokens;
  /** Ids the benchmark's requests aim at: a busy agent, a task with a trace, a budget, events. */
  readonly sample: {
    readonly agentIds: readonly string[];
    readonly taskIds: readonly string[];
    readonly budgetIds: readonly string[];
    readonly eventIds: readonly string[];
    readonly tools: readonly string[];
  };
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const BATCH_EVENTS = 4_000;
/** The tables the history fills, whose secondary indexes are dropped while it is written. */
const BULK_TABLES = ['audit_events', 'audit_nodes', 'decisions', 'tasks', 'approval_requests'] as const;

/** The example policies' roles and tools each calls (examples/policies), with a deciding rule each. */
const ROLES: Readonly<Record<string, readonly (readonly [tool: string, rule: string])[]>> = {
  'support-assistant': [
    ['helpdesk.tickets.read', 'support-read-kb-and-tickets'],
    ['helpdesk.tickets.search', 'support-read-kb-and-tickets'],
    ['kb.articles.search', 'support-read-kb-and-tickets'],
    ['crm.contacts.read', 'support-read-crm'],
    ['payments.refund', 'support-refund-up-to-500'],
    ['email.send', 'support-email-customer'],
  ],
  'code-review-bot': [
    ['github.pulls.read', 'code-review-read'],
    ['github.pulls.comment', 'code-review-comment'],
    ['github.repos.read', 'code-review-read'],
  ],
  'data-pipeline': [
    ['warehouse.query', 'pipeline-read-warehouse'],
    ['warehouse.tables.read', 'pipeline-read-warehouse'],
    ['warehouse.tables.write', 'pipeline-write-staging-tables'],
    ['warehouse.export', 'pipeline-export-review'],
  ],
  'deploy-agent': [
    ['ci.pipelines.read', 'deploy-read-ci'],
    ['deploy.manifests.update', 'deploy-update-manifests'],
    ['deploy.production', 'deploy-production-review'],
    ['deploy.rollback', 'deploy-rollback'],
  ],
};
const ROLE_NAMES = Object.keys(ROLES);
const TIERS = ['sandbox', 'monitored', 'trusted'] as const;

/** A small deterministic generator, so two seeds of the same size hold the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function seedConsole(node: WardenNode, options: SeedOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const agentCount = options.agents ?? 1_000;
  const targetEvents = options.events ?? 1_000_000;
  const days = options.days ?? 30;
  const rand = random(17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const { storage, audit } = node;
  const tenantId = node.bootstrap.tenant.id;
  const now = Date.now();
  const from = now - days * DAY;
  const policyVersion = node.registry.get(tenantId)?.version ?? 'none';

  // --- People: owners, approvers in the groups the example policies route to, auditors, security.
  const humans = await writeTransaction(storage, async (trx) => {
    const make = async (name: string, roles: string[]) => {
      const id = newId('usr', from);
      await trx
        .insertInto('humans')
        .values({
          id,
          tenant_id: tenantId,
          email: `${name}@console-bench.test`,
          name,
          roles: JSON.stringify(roles),
          status: 'active',
          created_at: from,
          updated_at: from,
        })
        .execute();
      const token = await issueHumanToken(trx, {
        tenantId,
        humanId: id,
        name: 'bench',
        expiresAt: null,
        now,
      });
      return { id, token: token.secret };
    };
    const owners = [];
    for (let i = 0; i < 20; i++) owners.push(await make(`owner-${i}`, ['owner']));
    const approvers = [];
    for (let i = 0; i < 6; i++) approvers.push(await make(`approver-${i}`, ['approver']));
    const auditor = await make('auditor-0', ['auditor']);
    const security = await make('security-0', ['security']);
    for (const name of ['support-leads', 'data-governance', 'on-call-sre', 'security', 'sre-leads']) {
      const groupId = newId('grp', from);
      await trx
        .insertInto('groups')
        .values({ id: groupId, tenant_id: tenantId, name, on_call: 0, created_at: from })
        .execute();
      const members = name === 'security' ? [security] : approvers;
      await trx
        .insertInto('group_members')
        .values(
          members.map((m, position) => ({
            tenant_id: tenantId,
            group_id: groupId,
            human_id: m.id,
            position,
          })),
        )
        .execute();
    }
    return { owners, approvers, auditor, security };
  });

  // --- Agents, each with its creation event; a few get keys for the live decisions at the end.
  interface SeedAgent {
    readonly id: string;
    readonly role: string;
    readonly tier: string;
    readonly ownerId: string;
    /** How often it acts relative to the others (a few agents do most of the work). */
    readonly weight: number;
  }
  const agents: SeedAgent[] = [];
  const keys: { agentId: string; key: string }[] = [];
  await writeTransaction(storage, async (trx) => {
    const rows = [];
    const events: AuditEventInput[] = [];
    for (let i = 0; i < agentCount; i++) {
      const createdAt = from - DAY + i * 1000;
      const role = ROLE_NAMES[i % ROLE_NAMES.length] as string;
      const tier = TIERS[i % 7 === 0 ? 0 : i % 3 === 0 ? 2 : 1] as string;
      const r = rand();
      const status = r < 0.9 ? 'active' : r < 0.95 ? 'suspended' : r < 0.98 ? 'pending' : 'retired';
      const owner = humans.owners[i % humans.owners.length] as { id: string };
      const id = newId('agt', createdAt);
      agents.push({ id, role, tier, ownerId: owner.id, weight: 1 / (1 + (i % 97)) });
      rows.push(
        agentToRow({
          id,
          tenantId,
          name: `${role}-${String(i).padStart(4, '0')}`,
          ownerId: owner.id,
          purpose: `Bench agent ${i} (${role})`,
          risk: role === 'support-assistant' ? 'pii' : 'internal',
          environments: ['production'],
          tier: tier as 'sandbox' | 'monitored' | 'trusted',
          roles: [role],
          labels: { team: role.split('-')[0] as string },
          parentId: null,
          maxChildren: 0,
          status: status as 'active',
          recertifyAt: null,
          createdAt,
          updatedAt: createdAt,
          lastActiveAt: now - Math.floor(rand() * DAY),
          rollbackUrl: null,
          breaker: null,
        }),
      );
      events.push({
        type: 'agent.create',
        actor: { type: 'human', id: owner.id },
        subject: { type: 'agent', id },
        payload: { name: `${role}-${i}`, role, tier },
        at: createdAt,
      });
    }
    for (let i = 0; i < rows.length; i += 200)
      await trx
        .insertInto('agents')
        .values(rows.slice(i, i + 200))
        .execute();
    await audit.append(trx, tenantId, events);
    for (const agent of agents.filter((a) => a.role === 'support-assistant').slice(0, 3)) {
      await trx
        .updateTable('agents')
        .set({ status: 'active', tier: 'trusted' })
        .where('id', '=', agent.id)
        .execute();
      const key = await issueAgentKey(trx, { tenantId, agentId: agent.id, expiresAt: null, now });
      keys.push({ agentId: agent.id, key: key.secret });
    }
  });
  const active = agents;
  // Cumulative weights, so the busy agents are drawn often and every agent sometimes.
  const cumulative: number[] = [];
  let total = 0;
  for (const agent of active) {
    total += agent.weight;
    cumulative.push(total);
  }
  const drawAgent = () => {
    const x = rand() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return active[lo] as SeedAgent;
  };

  // --- The history: decisions in tasks, outcomes, approvals, alerts, anomalies, in time order.
  // The bulk tables' secondary indexes are built once at the end rather than row by row.
  const rebuild = await dropSecondaryIndexes(node, BULK_TABLES);
  const eventsPerDecision = 2.0; // a decision, 88 % have an outcome, a review (6 %) brings two approval events
  const decisions = Math.floor((targetEvents - agentCount) / eventsPerDecision);
  const step = (now - from - HOUR) / decisions;
  const usage = new Map<
    string,
    {
      agent: string;
      span: 'day' | 'hour';
      start: number;
      calls: number;
      cost: number;
      tokens: number;
      records: number;
    }
  >();
  const addUsage = (
    agent: string,
    at: number,
    cost: number,
    tokens: number,
    records: number,
    calls: number,
  ) => {
    const spans: ['day' | 'hour', number][] = [['day', at - (at % DAY)]];
    if (at > now - 8 * DAY) spans.push(['hour', at - (at % HOUR)]);
    for (const [span, start] of spans) {
      const key = `${agent}|${span}|${start}`;
      const bucket = usage.get(key) ?? { agent, span, start, calls: 0, cost: 0, tokens: 0, records: 0 };
      bucket.calls += calls;
      bucket.cost += cost;
      bucket.tokens += tokens;
      bucket.records += records;
      usage.set(key, bucket);
    }
  };
  const sample = {
    agentIds: new Set<string>(),
    taskIds: [] as string[],
    eventIds: [] as string[],
    tools: new Set<string>(),
  };
  let written = agentCount;
  let made = 0;
  let task: { id: string; agent: SeedAgent; left: number } | undefined;
  let lastLog = performance.now();
  while (made < decisions) {
    const events: AuditEventInput[] = [];
    const decisionRows: Insertable<DecisionsTable>[] = [];
    const taskRows: TasksTable[] = [];
    const approvalRows: Insertable<ApprovalRequestsTable>[] = [];
    while (events.length < BATCH_EVENTS && made < decisions) {
      const at = Math.floor(from + made * step);
      made++;
      if (!task || task.left === 0) {
        const agent = drawAgent();
        task = { id: `tsk_${newId('tsk', at).slice(4)}`, agent, left: 3 + Math.floor(rand() * 10) };
        taskRows.push({
          tenant_id: tenantId,
          id: task.id,
          agent_id: agent.id,
          parent_task_id: null,
          initiator: humans.owners[0]?.id ?? null,
          on_behalf_of: null,
          interface: 'api',
          environment: 'production',
          history_seq: 0,
          created_at: at,
          last_action_at: at,
        });
        if (sample.taskIds.length < 50 && rand() < 0.01) sample.taskIds.push(task.id);
      }
      task.left--;
      const agent = task.agent;
      const [tool, rule] = pick(ROLES[agent.role] ?? []);
      const r = rand();
      const effect = r < 0.82 ? 'allow' : r < 0.88 ? 'review' : 'deny';
      const decisionId = newId('dec', at);
      const code =
        effect === 'allow' ? 'granted' : effect === 'review' ? 'review_required' : 'denied_by_rule';
      const args = { ticket: made % 100_000, amount: Math.round(rand() * 900), note: 'bench' };
      const outcomeStatus = effect === 'deny' ? null : rand() < 0.95 ? 'succeeded' : 'failed';
      const cost = outcomeStatus ? Math.round(rand() * 40_000) / 1_000_000 : 0;
      const tokens = outcomeStatus ? Math.floor(rand() * 4_000) : 0;
      const records = outcomeStatus && tool.startsWith('warehouse') ? Math.floor(rand() * 500) : 0;
      decisionRows.push({
        id: decisionId,
        tenant_id: tenantId,
        agent_id: agent.id,
        key_id: 'key_bench',
        task_id: task.id,
        tool,
        args: JSON.stringify(args),
        effect,
        code,
        reason: `${rule} decided`,
        deciding_rule: rule,
        detail: JSON.stringify({ rules: [rule], environment: 'production', source: 'http' }),
        policy_version: policyVersion,
        evaluation_micros: 3,
        created_at: at,
        outcome_status: outcomeStatus,
        outcome: outcomeStatus
          ? JSON.stringify({ status: outcomeStatus, costUsd: cost, tokens, records })
          : null,
        outcome_at: outcomeStatus ? at + 500 : null,
      });
      events.push({
        type: `decision.${effect}`,
        actor: { type: 'agent', id: agent.id, initiator: humans.owners[0]?.id ?? '', interface: 'api' },
        subject: { type: 'decision', id: decisionId },
        task: { id: task.id },
        tool,
        effect,
        rules: [rule],
        policyVersion,
        payload: {
          args,
          code,
          reason: `${rule} decided`,
          decidingRule: rule,
          environment: 'production',
          evaluationMicros: 3,
        },
        // Protected already, as the decide path's DataProtection does: nothing in it to redact.
        redactions: {},
        at,
      });
      if (effect === 'review') {
        const approvalId = newId('apr', at);
        const approved = rand() < 0.8;
        const approver = pick(humans.approvers);
        approvalRows.push(
          approvalRow(tenantId, approvalId, agent.id, decisionId, task.id, tool, at, approved, approver.id),
        );
        events.push({
          type: 'approval.request',
          actor: { type: 'agent', id: agent.id },
          subject: { type: 'approval', id: approvalId },
          task: { id: task.id },
          tool,
          payload: { kind: 'action', mode: 'pre', status: 'pending', agentId: agent.id, decisionId },
          at,
        });
        events.push({
          type: approved ? 'approval.approve' : 'approval.deny',
          actor: { type: 'human', id: approver.id },
          subject: { type: 'approval', id: approvalId },
          tool,
          payload: { step: 'approve', stage: 0, comment: null, agentId: agent.id },
          at: at + 200,
        });
      }
      if (outcomeStatus) {
        events.push({
          type: 'decision.outcome',
          actor: { type: 'agent', id: agent.id },
          subject: { type: 'decision', id: decisionId },
          task: { id: task.id },
          tool,
          effect,
          outcome: outcomeStatus,
          payload: { decisionId, costUsd: cost, tokens, records, durationMs: 120 },
          redactions: {},
          at: at + 500,
        });
        addUsage(agent.id, at, cost, tokens, records, 1);
      }
      // Now and then something unusual: an anomaly notice, a budget alert, a breaker trip.
      const odd = rand();
      if (odd < 0.0008) {
        events.push({
          type: 'agent.anomaly',
          actor: { type: 'system', id: 'anomaly-monitor' },
          subject: { type: 'agent', id: agent.id },
          payload: {
            metric: 'calls',
            value: 400 + Math.floor(rand() * 400),
            baseline: 60,
            factor: 3,
            floor: 50,
            hour: new Date(at - (at % HOUR)).toISOString(),
            complete: true,
          },
          at: at + 1,
        });
      } else if (odd < 0.0012) {
        events.push({
          type: 'budget.alert',
          actor: { type: 'system', id: 'budgets' },
          subject: { type: 'budget', id: 'bgt_bench' },
          payload: { agentId: agent.id, threshold: 0.75 },
          at: at + 1,
        });
      }
      if (sample.agentIds.size < 20 && rand() < 0.001) sample.agentIds.add(agent.id);
      sample.tools.add(tool);
    }
    await writeTransaction(storage, async (trx) => {
      for (let i = 0; i < taskRows.length; i += 200)
        await trx
          .insertInto('tasks')
          .values(taskRows.slice(i, i + 200))
          .execute();
      for (let i = 0; i < decisionRows.length; i += 100)
        await trx
          .insertInto('decisions')
          .values(decisionRows.slice(i, i + 100))
          .execute();
      for (let i = 0; i < approvalRows.length; i += 50)
        await trx
          .insertInto('approval_requests')
          .values(approvalRows.slice(i, i + 50))
          .execute();
      const records = await audit.append(trx, tenantId, events);
      const share = 200 / targetEvents;
      sample.eventIds.push(...records.filter(() => rand() < share).map((r) => r.id));
    });
    written += events.length;
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(
        `seeded ${written.toLocaleString('en')} events (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  }

  log(`rebuilding ${rebuild.length} indexes`);
  for (const statement of rebuild) await sql.raw(statement).execute(storage.db);

  // --- Breaker trips with their incidents, spread over the month.
  await writeTransaction(storage, async (trx) => {
    const events: AuditEventInput[] = [];
    for (let i = 0; i < 20; i++) {
      const agent = drawAgent();
      const at = now - Math.floor(((20 - i) / 21) * days * DAY);
      const incidentId = newId('inc', at);
      const summary = `The circuit breaker of agent ${agent.id} tripped: error rate 60% over 20 calls`;
      await trx
        .insertInto('incidents')
        .values({
          tenant_id: tenantId,
          id: incidentId,
          kind: 'circuit_breaker',
          agent_id: agent.id,
          approval_id: null,
          decision_id: null,
          summary,
          detail: JSON.stringify({ accountable: { agent: agent.id, owner: agent.ownerId } }),
          created_at: at,
        })
        .execute();
      events.push({
        type: 'agent.breaker_trip',
        actor: { type: 'system', id: 'circuit-breaker' },
        subject: { type: 'agent', id: agent.id },
        payload: { reason: 'error rate 60% over 20 calls', incidentId },
        at,
      });
    }
    await audit.append(trx, tenantId, events);
    written += events.length;
  });

  // --- Usage buckets (day rows for the month, hour rows for the last 8 days) in one pass.
  await writeTransaction(storage, async (trx) => {
    const rows = [...usage.values()].map((b) => ({
      tenant_id: tenantId,
      agent_id: b.agent,
      span: b.span,
      window_start: b.start,
      calls: b.calls,
      cost_usd: b.cost,
      tokens: b.tokens,
      records: b.records,
    }));
    for (let i = 0; i < rows.length; i += 200)
      await trx
        .insertInto('agent_usage')
        .values(rows.slice(i, i + 200))
        .execute();
  });

  // --- A few approvals waiting for the approvers now, through the real decide path.
  for (let i = 0; i < 12; i++) {
    const { key } = keys[i % keys.length] as { key: string };
    const res = await node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: { authorization: `Bearer ${key}` },
      payload: { tool: 'payments.refund', args: { amount: 600 + i, orderId: `ord-${i}` } },
    });
    if (res.statusCode !== 200 || res.json().effect !== 'review')
      throw new Error(`live review ${i}: ${res.statusCode} ${res.body}`);
    written++;
  }

  // --- Budgets through the API, so they are audited and checked like an admin's.
  const admin = node.bootstrap.created?.adminToken.secret;
  if (!admin) throw new Error('seed a fresh database: the bootstrap admin token is needed');
  const budgetIds: string[] = [];
  const budgetInputs = [
    { name: 'tenant-monthly', scope: 'tenant', period: 'month', unit: 'usd', limit: 20_000 },
    {
      name: 'support-daily',
      scope: 'role',
      role: 'support-assistant',
      period: 'day',
      unit: 'usd',
      limit: 300,
    },
    { name: 'sandbox-calls', scope: 'agent', tier: 'sandbox', period: 'day', unit: 'calls', limit: 2_000 },
    {
      name: 'pipeline-records',
      scope: 'role',
      role: 'data-pipeline',
      period: 'day',
      unit: 'records',
      limit: 5_000_000,
    },
    { name: 'busy-agent', scope: 'agent', agentId: agents[0]?.id, period: 'week', unit: 'usd', limit: 500 },
  ];
  for (const body of budgetInputs) {
    const res = await node.app.inject({
      method: 'POST',
      url: '/v1/budgets',
      headers: { authorization: `Bearer ${admin}` },
      payload: body,
    });
    if (res.statusCode !== 201) throw new Error(`budget ${body.name}: ${res.statusCode} ${res.body}`);
    budgetIds.push(res.json().id as string);
  }
  // Their counters for the current windows, from the usage just written (what the ledger would hold).
  await seedCounters(node, tenantId, budgetIds, now);

  await node.auditTrail.checkpointer.run();
  // PostgreSQL's autovacuum analyzes freshly loaded tables on its own within minutes; doing it now
  // measures the steady state rather than a planner with no statistics. SQLite keeps none unless
  // told, and a node never tells it, so it is measured as it runs.
  if (storage.dialect === 'postgres') await sql`analyze`.execute(storage.db);
  const seconds = (performance.now() - started) / 1000;
  log(`seeded ${written.toLocaleString('en')} events and ${agentCount} agents in ${seconds.toFixed(1)} s`);
  return {
    tenantId,
    agents: agentCount,
    events: written,
    seconds,
    tokens: {
      admin,
      auditor: humans.auditor.token,
      approver: humans.approvers[0]?.token ?? '',
      owner: humans.owners[0]?.token ?? '',
    },
    sample: {
      agentIds: [...sample.agentIds],
      taskIds: sample.taskIds,
      budgetIds,
      eventIds: sample.eventIds,
      tools: [...sample.tools],
    },
  };
}

/**
 * Drops the non-unique indexes of `tables` and answers the statements that create them again, as the
 * migrations made them: a bulk load builds each index once, sorted, instead of row by row. Unique
 * indexes and primary keys stay, so every constraint holds while the rows go in.
 */
async function dropSecondaryIndexes(node: WardenNode, tables: readonly string[]): Promise<string[]> {
  const db = node.storage.db;
  const rows =
    node.storage.dialect === 'sqlite'
      ? (
          await sql<{ name: string; definition: string }>`
            select name, sql as definition from sqlite_master
            where type = 'index' and sql is not null and tbl_name in (${sql.join([...tables])})`.execute(db)
        ).rows
      : (
          await sql<{ name: string; definition: string }>`
            select indexname as name, indexdef as definition from pg_indexes
            where schemaname = current_schema() and tablename in (${sql.join([...tables])})`.execute(db)
        ).rows;
  const secondary = rows.filter((r) => !/^create unique/i.test(r.definition) && !r.name.endsWith('_pkey'));
  for (const index of secondary) await sql`drop index ${sql.id(index.name)}`.execute(db);
  return secondary.map((r) => r.definition);
}

/** A decided action approval, with the columns the approvals service writes. */
function approvalRow(
  tenantId: string,
  id: string,
  agentId: string,
  decisionId: string,
  taskId: string,
  tool: string,
  at: number,
  approved: boolean,
  approverId: string,
) {
  return {
    tenant_id: tenantId,
    id,
    kind: 'action' as const,
    mode: 'pre' as const,
    status: approved ? ('approved' as const) : ('denied' as const),
    agent_id: agentId,
    decision_id: decisionId,
    task_id: taskId,
    tool,
    action_digest: null,
    requester_type: 'agent' as const,
    requester_id: agentId,
    initiator_id: null,
    on_behalf_of_id: null,
    context: JSON.stringify({ agent: { id: agentId }, action: { tool, args: {} }, reason: 'bench' }),
    requirement: JSON.stringify({
      steps: [{ name: 'approve', approvers: [{ kind: 'group', name: 'support-leads' }], required: 1 }],
      timeoutSeconds: 3600,
      onTimeout: 'deny',
      escalateTo: [],
      mode: 'pre',
    }),
    excluded: '[]',
    step: 0,
    escalation: 0,
    deadline_at: at + HOUR,
    oncall_until: null,
    created_at: at,
    updated_at: at + 200,
    decided_at: at + 200,
    decided_by: approverId,
    comment: null,
    grant_expires_at: approved ? at + HOUR : null,
    consumed_at: null,
    consumed_by: null,
    version: 2,
  };
}

/** The current window's counter of each seeded budget, summed from the day buckets. */
async function seedCounters(node: WardenNode, tenantId: string, budgetIds: readonly string[], now: number) {
  const { time_zone: timeZone } = await node.storage.db
    .selectFrom('tenants')
    .select('time_zone')
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  for (const id of budgetIds) {
    const budget = await findBudget(node.storage.db, tenantId, id);
    if (!budget) throw new Error(`budget ${id} vanished`);
    const window = windowOf(budget.period, timeZone, now);
    const column = budget.unit === 'usd' ? 'cost_usd' : budget.unit;
    let query = node.storage.db
      .selectFrom('agent_usage as u')
      .innerJoin('agents as a', (j) =>
        j.onRef('a.tenant_id', '=', 'u.tenant_id').onRef('a.id', '=', 'u.agent_id'),
      )
      .select((eb) => ['u.agent_id', eb.fn.sum<number>(`u.${column}`).as('amount')])
      .where('u.tenant_id', '=', tenantId)
      .where('u.span', '=', 'day')
      .where('u.window_start', '>=', window.start - (window.start % DAY));
    if (budget.agentId) query = query.where('u.agent_id', '=', budget.agentId);
    if (budget.tier) query = query.where('a.tier', '=', budget.tier);
    if (budget.role) query = query.where('a.roles', 'like', `%"${budget.role}"%`);
    const perAgent = await query.groupBy('u.agent_id').execute();
    const toBase = (amount: number) => Math.round(budget.unit === 'usd' ? amount * 1_000_000 : amount);
    const counters =
      budget.scope === 'agent'
        ? perAgent.map((r) => ({ subject: r.agent_id, spent: toBase(Number(r.amount)) }))
        : [
            {
              subject: budget.scope === 'tenant' ? tenantId : `role:${budget.role}`,
              spent: toBase(perAgent.reduce((sum, r) => sum + Number(r.amount), 0)),
            },
          ];
    if (counters.length === 0) continue;
    await node.storage.db
      .insertInto('budget_counters')
      .values(
        counters.map((c) => ({
          tenant_id: tenantId,
          budget_id: id,
          subject: c.subject,
          window_start: window.start,
          reserved: 0,
          spent: c.spent,
          alert_level: 0,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['budget_id', 'subject', 'window_start'])
          .doUpdateSet({ spent: (eb) => eb.ref('excluded.spent') }),
      )
      .execute();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { startSeedNode } = await import('./console-node.js');
  const target = process.argv[2];
  const node = await startSeedNode(target);
  const result = await seedConsole(node);
  await node.close();
  console.log(
    JSON.stringify({
      seeded: result.events,
      agents: result.agents,
      seconds: Number(result.seconds.toFixed(1)),
    }),
  );
}
