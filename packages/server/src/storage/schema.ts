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
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  created_at: number;
  /** After this many days an event's payload is shredded (its retention key destroyed). */
  audit_retention_days: Generated<number>;
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
}

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
}

export interface AgentUsageTable {
  tenant_id: string;
  agent_id: string;
  /** 'minute' rows feed calls_last_hour; 'day' rows (UTC) the daily sums. */
  span: 'minute' | 'day';
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

/** One leaf. Every column but `body` and `leaf_hash` is a copy of a field of the body, for queries. */
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
