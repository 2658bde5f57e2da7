import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Portable types only, so one query runs on SQLite and PostgreSQL:
 * times are epoch milliseconds (bigint), JSON is text, booleans are 0/1.
 */
export interface Database {
  tenants: TenantsTable;
  humans: HumansTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  human_tokens: HumanTokensTable;
  agents: AgentsTable;
  agent_keys: AgentKeysTable;
  policy_versions: PolicyVersionsTable;
  policy_active: PolicyActiveTable;
  tasks: TasksTable;
  decisions: DecisionsTable;
  agent_usage: AgentUsageTable;
  audit_log_state: AuditLogStateTable;
  audit_events: AuditEventsTable;
  audit_nodes: AuditNodesTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_keys: AuditKeysTable;
  approval_requests: ApprovalRequestsTable;
  approval_votes: ApprovalVotesTable;
  access_grants: AccessGrantsTable;
  delegation_grants: DelegationGrantsTable;
  incidents: IncidentsTable;
  notification_deliveries: NotificationDeliveriesTable;
  budgets: BudgetsTable;
  budget_counters: BudgetCountersTable;
  budget_reservations: BudgetReservationsTable;
  rate_limits: RateLimitsTable;
  agent_baselines: AgentBaselinesTable;
  mcp_servers: ManagedEntriesTable;
  llm_providers: ManagedEntriesTable;
  llm_shadow_runs: LlmShadowRunsTable;
  task_tool_counts: TaskToolCountsTable;
  task_labels: TaskLabelsTable;
  human_reauth_secrets: HumanReauthSecretsTable;
  reauth_proofs: ReauthProofsTable;
  step_up_hooks: StepUpHooksTable;
  step_up_requests: StepUpRequestsTable;
  console_sessions: ConsoleSessionsTable;
  console_sign_in_codes: ConsoleSignInCodesTable;
  recert_campaigns: RecertCampaignsTable;
  recert_items: RecertItemsTable;
  recert_settings: RecertSettingsTable;
  drift_notices: DriftNoticesTable;
  trust_criteria: TrustCriteriaTable;
  agent_trust: AgentTrustTable;
  policy_schedules: PolicySchedulesTable;
  policy_settings: PolicySettingsTable;
  policy_shadows: PolicyShadowsTable;
  policy_shadow_divergences: PolicyShadowDivergencesTable;
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  created_at: number;
  /** After this many days an event's payload is shredded (its retention key destroyed). */
  audit_retention_days: Generated<number>;
  /** IANA time zone of the tenant's calendar budget windows. */
  time_zone: Generated<string>;
  /** The tenant-wide kill switch: while set, every decision is denied. */
  frozen_at: number | null;
  frozen_by: string | null;
  frozen_reason: string | null;
}

export interface HumansTable {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  /** JSON array of roles. */
  roles: string;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: string;
  tenant_id: string;
  name: string;
  /** 1 when the order of members is an on-call rotation. */
  on_call: number;
  created_at: number;
}

export interface GroupMembersTable {
  tenant_id: string;
  group_id: string;
  human_id: string;
  position: number;
}

export interface HumanTokensTable {
  id: string;
  tenant_id: string;
  human_id: string;
  name: string;
  /** SHA-256 (hex) of the whole token; the token itself is never stored. */
  hash: string;
  /** The first characters, to tell tokens apart in listings. */
  hint: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AgentsTable {
  id: string;
  tenant_id: string;
  name: string;
  owner_id: string;
  purpose: string;
  risk: string;
  /** JSON array. */
  environments: string;
  tier: string;
  /** JSON array. */
  roles: string;
  /** JSON object of string -> string. */
  labels: string;
  parent_id: string | null;
  max_children: number;
  status: string;
  recertify_at: number | null;
  created_at: number;
  updated_at: number;
  last_active_at: number | null;
  /** The status a suspended agent returns to when resumed (pending or active). */
  suspended_from: string | null;
  /** Called (POST) when a post-mode review rejects an action this agent already took. */
  rollback_url: string | null;
  /** When the circuit breaker tripped (null: closed); decisions are denied until a human resets it. */
  breaker_tripped_at: number | null;
  breaker_reason: string | null;
}

export interface AgentKeysTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  hash: string;
  hint: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface PolicyVersionsTable {
  tenant_id: string;
  version: string;
  /** JSON array of {path, text}: the sources, so every node can build the same bundle. */
  files: string;
  rule_count: number;
  created_at: number;
}

export interface PolicyActiveTable {
  tenant_id: string;
  version: string;
  activated_at: number;
  activated_by: string;
}

export interface TasksTable {
  tenant_id: string;
  id: string;
  agent_id: string;
  parent_task_id: string | null;
  initiator: string | null;
  on_behalf_of: string | null;
  interface: string | null;
  environment: string;
  created_at: number;
  last_action_at: number;
  /** How many decisions were recorded in the task (each adds to its history). */
  history_seq: number;
}

/** Indexed by task, by agent and time (0001), and by time with the effect (0012-console-read-indexes). */
export interface DecisionsTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  key_id: string;
  task_id: string | null;
  tool: string;
  /** JSON. */
  args: string;
  effect: string;
  code: string;
  reason: string;
  deciding_rule: string | null;
  /** JSON: the rest of the decision (rules, approval, delegation, condition errors, context). */
  detail: string;
  policy_version: string;
  evaluation_micros: number;
  created_at: number;
  outcome_status: string | null;
  /** JSON. */
  outcome: string | null;
  outcome_at: number | null;
  /**
   * JSON (policies/policy-input.ts): what the policy engine was given besides tool and arguments, and
   * what it answered; null when a server gate decided first, or the row predates it.
   */
  policy_input: string | null;
}

export interface AgentUsageTable {
  tenant_id: string;
  agent_id: string;
  /** 'minute' rows feed calls_last_hour and short spend rates; 'hour' rows the baselines; 'day' rows (UTC) the daily sums. */
  span: 'minute' | 'hour' | 'day';
  window_start: number;
  calls: number;
  cost_usd: number;
  tokens: number;
  records: number;
}

export interface AuditLogStateTable {
  tenant_id: string;
  size: number;
  /** JSON array of base64 hashes: the roots of the perfect subtrees covering [0, size), largest first. */
  compact_range: string;
  /** base64 RFC 6962 root of the log at `size`. */
  root: string;
  updated_at: number;
}

/**
 * One leaf. Every column but `body` and `leaf_hash` is a copy of a field of the body, for queries.
 * Indexed by agent, time, subject, task (0003) and by type (0012-console-read-indexes).
 */
export interface AuditEventsTable {
  tenant_id: string;
  /** 0, 1, 2, ... per tenant, without gaps: the leaf index. */
  seq: number;
  id: string;
  type: string;
  created_at: number;
  actor_type: string;
  actor_id: string;
  /** The agent the event is about: the acting agent, or the subject when that is an agent. */
  agent_id: string | null;
  on_behalf_of: string | null;
  subject_type: string;
  subject_id: string;
  task_id: string | null;
  tool: string | null;
  effect: string | null;
  outcome: string | null;
  /** JSON array of rule ids. */
  rules: string | null;
  /** RFC 8785 canonical JSON of the stored event: exactly the bytes the leaf hash covers. */
  body: string;
  /** base64 SHA-256(0x00 || body). */
  leaf_hash: string;
  /** base64 HMAC-SHA256 of the leaf hash under the node's event key; null on events older than it. */
  mac: string | null;
}

export interface AuditNodesTable {
  tenant_id: string;
  level: number;
  idx: number;
  /** base64 hash of the perfect subtree of 2^level leaves starting at idx * 2^level. */
  hash: string;
}

export interface AuditCheckpointsTable {
  tenant_id: string;
  size: number;
  root: string;
  created_at: number;
  /** The C2SP signed note. */
  note: string;
}

export interface AuditKeysTable {
  tenant_id: string;
  /** `ret:<YYYY-MM>` (retention period) or `sub:<digest>` (data subject). */
  id: string;
  /** base64 key, wrapped; null once destroyed. */
  material: string | null;
  created_at: number;
  destroyed_at: number | null;
}

export type ApprovalKind = 'action' | 'access' | 'registration' | 'promotion';
export type ApprovalMode = 'pre' | 'post' | 'sample';
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

export interface ApprovalRequestsTable {
  tenant_id: string;
  id: string;
  kind: ApprovalKind;
  mode: ApprovalMode;
  status: ApprovalStatus;
  agent_id: string;
  decision_id: string | null;
  task_id: string | null;
  tool: string | null;
  /** hex SHA-256 of the canonical {tool, args}: the approval is good for exactly this action. */
  action_digest: string | null;
  requester_type: 'agent' | 'human';
  requester_id: string;
  /** The task's initiator and on-behalf-of human, resolved to human ids when they are humans here. */
  initiator_id: string | null;
  on_behalf_of_id: string | null;
  /** JSON: what the approver sees (agent, task, action with redacted args, rule, reasoning, spend). */
  context: string;
  /** JSON: {steps, timeoutSeconds, onTimeout, escalateTo}. */
  requirement: string;
  /** JSON array of {humanId, why}: humans who may not decide this request. */
  excluded: string;
  /** The current step (index into requirement.steps). */
  step: number;
  /** 0 while with the original approvers; n after the nth escalation (to escalateTo[n-1]). */
  escalation: number;
  deadline_at: number;
  /** While set and in the future, only the on-call person of an on-call group has been notified. */
  oncall_until: number | null;
  created_at: number;
  updated_at: number;
  decided_at: number | null;
  /** The human whose vote settled it, or `system` for a deadline. */
  decided_by: string | null;
  comment: string | null;
  /** Until when an approved pre-mode action may be executed. */
  grant_expires_at: number | null;
  consumed_at: number | null;
  /** The decision that used the approval. */
  consumed_by: string | null;
  /** Bumped by every change: compare-and-set between nodes. */
  version: number;
}

export interface ApprovalVotesTable {
  tenant_id: string;
  request_id: string;
  human_id: string;
  step: number;
  verdict: 'approve' | 'deny';
  comment: string | null;
  created_at: number;
}

export interface AccessGrantsTable {
  tenant_id: string;
  id: string;
  agent_id: string;
  /** JSON array of tool names or globs. */
  tools: string;
  request_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface DelegationGrantsTable {
  tenant_id: string;
  id: string;
  /** The agent that created the grant with its own key and is acted for. */
  delegator_id: string;
  /** The agent that may name the delegator in its `delegation`. */
  delegate_id: string;
  /** JSON array of tool names or globs. */
  tools: string;
  /** The one task the grant is for; null for any. */
  task_id: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** `agent:agt_...` or `human:usr_...`. */
  revoked_by: string | null;
}

export interface IncidentsTable {
  tenant_id: string;
  id: string;
  /** review_rejected, review_missed, ... */
  kind: string;
  agent_id: string;
  approval_id: string | null;
  decision_id: string | null;
  summary: string;
  /** JSON: the accountable chain (agent, owner, invoker, approver) and what happened. */
  detail: string;
  created_at: number;
  /** critical (demotes the agent's trust tier, blocks its promotion), major or minor. */
  severity: Generated<string>;
}

export interface NotificationDeliveriesTable {
  id: string;
  tenant_id: string;
  /** webhook or slack. */
  channel: string;
  url: string;
  /** The notification's type (approval.request, ...). */
  type: string;
  /** The exact JSON body sent on every attempt. */
  body: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  last_error: string | null;
  next_attempt_at: number;
  /** A node sending this delivery holds it until then; another node may take it over afterwards. */
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface BudgetsTable {
  tenant_id: string;
  id: string;
  name: string;
  /** task, agent, role or tenant. */
  scope: string;
  /** Which agents it applies to: one agent, every agent of a tier, or (both null) every agent. */
  agent_id: string | null;
  tier: string | null;
  /** For the role scope: the role whose agents share the budget. */
  role: string | null;
  /** task, hour, day, week or month. */
  period: string;
  /** usd, tokens, calls or records. */
  unit: string;
  /** In the unit's base: micro-dollars for usd. */
  limit_amount: number;
  /** JSON array of fractions (0.5, 0.75, 0.9) announced once per window. */
  thresholds: string;
  /** deny (hard) or alert (soft). */
  on_limit: string;
  suspend_agent: number;
  /** api, config or default. */
  source: string;
  created_at: number;
  updated_at: number;
}

export interface BudgetCountersTable {
  tenant_id: string;
  budget_id: string;
  /** The agent, task, role or tenant id the counter belongs to. */
  subject: string;
  /** The window's start (epoch ms); 0 for the task window. */
  window_start: number;
  reserved: number;
  spent: number;
  /** How many thresholds were announced in this window (thresholds.length + 1 once the limit was hit). */
  alert_level: number;
  updated_at: number;
}

export interface BudgetReservationsTable {
  tenant_id: string;
  id: string;
  decision_id: string;
  agent_id: string;
  /** JSON: the counters charged and the amounts held on each. */
  charges: string;
  /** held, settled or expired. */
  status: string;
  created_at: number;
  expires_at: number;
  settled_at: number | null;
  /** Set when the reservation went stale and was settled at its estimate. */
  flagged: number;
}

export interface RateLimitsTable {
  tenant_id: string;
  id: string;
  name: string;
  /** agent, task or tool. */
  scope: string;
  agent_id: string | null;
  tier: string | null;
  /** For the tool scope: a tool glob; each matching tool is counted on its own per agent. */
  tool: string | null;
  max_calls: number;
  window_seconds: number;
  source: string;
  created_at: number;
  updated_at: number;
}

export interface AgentBaselinesTable {
  tenant_id: string;
  agent_id: string;
  calls_ewma: number;
  records_ewma: number;
  cost_ewma: number;
  /** Completed hours folded into the baselines. */
  samples: number;
  /** Start of the last hour folded in (epoch ms). */
  folded_hour: number;
  /** The hour whose anomalies were already announced, and which metrics (JSON array). */
  alerted_hour: number | null;
  alerted: string;
  version: number;
  updated_at: number;
}

/** Entries managed through the API (MCP servers, LLM providers): one table per kind, these columns. */
export interface ManagedEntriesTable {
  tenant_id: string;
  name: string;
  /** The checked entry as JSON, its secrets sealed. */
  definition: string;
  created_at: number;
  /** `<actor type>:<id>`. */
  created_by: string;
  updated_at: number;
  updated_by: string;
}

/** One shadowed model call: both sides' figures (null where a side did not run) and the comparison. */
export interface LlmShadowRunsTable {
  tenant_id: string;
  id: string;
  decision_id: string;
  agent_id: string;
  created_at: number;
  primary_provider: string;
  primary_model: string;
  /** Null when the shadow model named no provider of the tenant. */
  shadow_provider: string | null;
  shadow_model: string;
  /** compared, shadow_failed, primary_failed or skipped. */
  status: string;
  /** Why it was skipped or failed. */
  reason: string | null;
  streamed: number;
  primary_input_tokens: number | null;
  primary_output_tokens: number | null;
  primary_cost_micros: number | null;
  primary_latency_ms: number | null;
  primary_ttft_ms: number | null;
  /** JSON array of the tool names the model called, in order. */
  primary_tools: string | null;
  shadow_input_tokens: number | null;
  shadow_output_tokens: number | null;
  shadow_cost_micros: number | null;
  shadow_latency_ms: number | null;
  shadow_ttft_ms: number | null;
  shadow_tools: string | null;
  tools_differ: number | null;
  /** Text similarity of the two answers, 0 to 1. */
  similarity: number | null;
}

/** Per task and tool: calls decided, of them denied, and failed outcomes (`task.*` in conditions). */
export interface TaskToolCountsTable {
  tenant_id: string;
  task_id: string;
  tool: string;
  calls: number;
  denied: number;
  failures: number;
}

/** The labels (data classes) rules gave a task: `task.labels`. */
export interface TaskLabelsTable {
  tenant_id: string;
  task_id: string;
  label: string;
  created_at: number;
}

/** A human's re-authentication secret: scrypt `salt:hash`, locked for a while after repeated failures. */
export interface HumanReauthSecretsTable {
  tenant_id: string;
  human_id: string;
  hash: string;
  failed_attempts: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

/** A short-lived, single-use re-authentication proof for one approval; only its hash is kept. */
export interface ReauthProofsTable {
  tenant_id: string;
  id: string;
  hash: string;
  approval_id: string;
  action_digest: string | null;
  human_id: string;
  /** Which proof source minted it (`reauth_secret`). */
  source: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Where a tenant's end customers re-authenticate: the product's sign-in hook and its shared secret (sealed). */
export interface StepUpHooksTable {
  tenant_id: string;
  url: string;
  secret: string;
  updated_by: string;
  created_at: number;
  updated_at: number;
}

/** A signed re-authentication request sent through the hook; its confirmation uses it up. */
export interface StepUpRequestsTable {
  tenant_id: string;
  id: string;
  approval_id: string;
  stage: number;
  subject: string;
  action_digest: string | null;
  created_at: number;
  expires_at: number;
  delivered_at: number | null;
  last_error: string | null;
  used_at: number | null;
}

export interface ConsoleSessionsTable {
  id: string;
  tenant_id: string;
  human_id: string;
  /** SHA-256 (hex) of the cookie's secret; the secret itself is never stored. */
  hash: string;
  /** How the human signed in: `token` or `code`. */
  method: string;
  /** The human token signed in with (revoking it ends the session), null for a code. */
  token_id: string | null;
  user_agent: string | null;
  created_at: number;
  /** Written in the background (at most once a minute per session): the idle expiry reads it. */
  last_used_at: number;
  /** The absolute end: created_at plus the absolute lifetime. */
  expires_at: number;
  revoked_at: number | null;
  /** sign_out, revoked, human_disabled. */
  revoked_reason: string | null;
}

export interface ConsoleSignInCodesTable {
  id: string;
  tenant_id: string;
  human_id: string;
  /** SHA-256 (hex) of the code. */
  hash: string;
  /** The human who asked for the link, or `system` for the one `warden up` prints. */
  created_by: string;
  created_at: number;
  expires_at: number;
  /** Set once, by the one redemption that wins. */
  used_at: number | null;
  session_id: string | null;
}

/** A recertification campaign: every agent of its scope certified by its owner before the deadline. */
export interface RecertCampaignsTable {
  tenant_id: string;
  id: string;
  name: string;
  /** open, escalated (deadline passed, security told), closed (grace over) or completed (all answered). */
  status: string;
  /** JSON: {kind: all} | {kind: risk, risk} | {kind: owner, ownerId}. */
  scope: string;
  deadline_at: number;
  /** How long security has after the deadline before unanswered agents are suspended or flagged. */
  grace_ms: number;
  /** suspend or flag. */
  on_no_response: string;
  /** The drift window (days) the owners' reports use. */
  drift_days: number;
  /** `human:usr_...`. */
  created_by: string;
  created_at: number;
  escalated_at: number | null;
  closed_at: number | null;
}

/** One agent of a campaign. */
export interface RecertItemsTable {
  tenant_id: string;
  campaign_id: string;
  agent_id: string;
  owner_id: string;
  /** pending, escalated, kept, reduced, retired, suspended or flagged. */
  status: string;
  /** JSON: the agent's drift figures when the campaign started (permissions, unused, candidates). */
  drift: string;
  /** keep, reduce or retire: the certifier's answer. */
  decision: string | null;
  comment: string | null;
  /** JSON: for reduce, what is removed (rules, grants) and the access change it opened. */
  reduction: string | null;
  certified_by: string | null;
  certified_at: number | null;
  escalated_at: number | null;
  /** When the deadline's grace suspended or flagged it. */
  resolved_at: number | null;
}

/** A tenant's defaults for recertification campaigns. */
export interface RecertSettingsTable {
  tenant_id: string;
  on_no_response: string;
  grace_seconds: number;
  updated_at: number;
  updated_by: string;
}

/** The month's drift notices of a tenant, sent once: the row is taken by the node that sends them. */
export interface DriftNoticesTable {
  tenant_id: string;
  /** YYYY-MM (UTC). */
  period: string;
  sent_at: number;
  /** How many owners were told. */
  owners: number;
}

/** A tenant's trust-tier criteria (`trust/criteria.ts`); no row: the defaults. */
export interface TrustCriteriaTable {
  tenant_id: string;
  /** JSON: the checked criteria. */
  criteria: string;
  updated_at: number;
  /** `<actor type>:<id>`. */
  updated_by: string;
}

/** Where an agent stands in its trust tier; no row: in its tier since it was created, never evaluated. */
export interface AgentTrustTable {
  tenant_id: string;
  agent_id: string;
  /** When the agent entered its tier (or its time there started again): the evidence window's start. */
  tier_since: number;
  /** When the daily trust sweep last evaluated it. */
  checked_at: number | null;
}

/** A reload held for its grace period (notify-first): scheduled, then activated or cancelled. */
export interface PolicySchedulesTable {
  tenant_id: string;
  id: string;
  version: string;
  /** JSON array of {path, text}, as in policy_versions. */
  files: string;
  status: 'scheduled' | 'activated' | 'cancelled' | 'superseded';
  activate_at: number;
  /** JSON: the impact summary the owners were told about. */
  impact: string;
  created_by: string;
  created_at: number;
  closed_by: string | null;
  closed_at: number | null;
}

export interface PolicySettingsTable {
  tenant_id: string;
  /** The grace period of a reload that takes allows away from active agents; 0: activate at once. */
  notify_first_seconds: number;
  updated_by: string;
  updated_at: number;
}

/** The tenant's shadow bundle: evaluated beside the active one on live traffic, never enforced. */
export interface PolicyShadowsTable {
  tenant_id: string;
  version: string;
  files: string;
  started_by: string;
  started_at: number;
}

/** One live call on which the shadow bundle answered differently from the active one. */
export interface PolicyShadowDivergencesTable {
  tenant_id: string;
  id: string;
  decision_id: string;
  agent_id: string;
  tool: string;
  active_version: string;
  shadow_version: string;
  active_effect: string;
  active_code: string;
  active_rule: string | null;
  shadow_effect: string;
  shadow_code: string;
  shadow_rule: string | null;
  created_at: number;
}
