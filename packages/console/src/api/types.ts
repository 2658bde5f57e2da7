/** The shapes of the API answers the console reads (the fields it shows; see docs/api.md). */

export type Role = 'admin' | 'security' | 'approver' | 'auditor' | 'owner' | 'viewer';
export type Effect = 'allow' | 'review' | 'deny';

export interface Human {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  status: 'active' | 'disabled';
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
}

export interface ConsoleSession {
  session: { id: string; expiresAt: string; createdAt: string };
  csrfToken: string;
  human: Human;
  tenant: Tenant;
}

export interface Agent {
  id: string;
  name: string;
  ownerId: string;
  purpose: string;
  risk: string;
  riskLevel: 'low' | 'medium' | 'high';
  environments: string[];
  tier: 'sandbox' | 'monitored' | 'trusted';
  roles: string[];
  labels: Record<string, string>;
  parentId: string | null;
  status: 'pending' | 'active' | 'suspended' | 'retired' | 'killed' | string;
  recertifyAt: string | null;
  createdAt: string;
  lastActiveAt: string | null;
  breaker: { trippedAt: string; reason: string } | null;
}

export interface AgentKey {
  id: string;
  hint: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface Grant {
  id: string;
  agentId: string;
  tools: string[];
  requestId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface Budget {
  id: string;
  name: string;
  scope: string;
  agentId: string | null;
  tier: string | null;
  role: string | null;
  period: string;
  unit: string;
  limit: number;
  thresholds: number[];
  onLimit: string;
  source: string;
}

export interface AgentBudget {
  budget: Budget;
  windowStart: string;
  windowEnd: string;
  used: number;
  reserved: number;
  remaining: number;
  percent: number;
}

export interface RateLimit {
  id: string;
  name: string;
  scope: string;
  agentId: string | null;
  tier: string | null;
  tool: string | null;
  maxCalls: number;
  windowSeconds: number;
  source: string;
}

export interface Capabilities {
  agent: Agent;
  policyVersion: string | null;
  tools: Array<{
    tool: string;
    effect: Effect;
    conditional: boolean;
    via: 'policy' | 'grant';
    rules: Array<{
      policy: string;
      rule: string;
      effect: Effect;
      owner: string | null;
      description: string | null;
    }>;
  }>;
  grants: Grant[];
  defaultEffect: 'deny';
}

export interface ApprovalStep {
  name: string;
  approvers: string[];
  required: number;
  approvals: number;
  state: string;
}

export interface Approval {
  id: string;
  kind: 'action' | 'access' | 'registration';
  mode: string;
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | string;
  agentId: string;
  decisionId: string | null;
  taskId: string | null;
  tool: string | null;
  actionDigest: string | null;
  /** Who started the task and for whom the agent acts, as Warden users (null when not one). */
  initiatorId: string | null;
  onBehalfOfId: string | null;
  context: {
    agent?: {
      id: string;
      name: string;
      purpose: string;
      owner: { id: string; name: string; email: string } | null;
      tier: string;
      risk: string;
      riskLevel: string;
      environments: string[];
      roles: string[];
      status: string;
    };
    task?: { id: string; initiator: string | null; onBehalfOf: string | null; environment: string | null };
    action?: { tool: string; args: unknown; digest: string };
    rule?: { id: string; reason: string; rules: string[]; policyVersion: string; owners: string[] };
    reasoning?: string | null;
    recommendation?: string | null;
    spend?: { todayUsd: number; monthUsd: number; callsToday: number };
    tools?: string[];
    justification?: string;
  };
  steps: ApprovalStep[];
  currentStep: string | null;
  eligible: string[];
  onCall: string[];
  excluded: Array<{ humanId: string; why: string }>;
  votes: Array<{ humanId: string; step: string; verdict: string; comment: string | null; at: string }>;
  deadline: string;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  comment: string | null;
}

export interface AuditEvent {
  id: string;
  seq: number;
  time: string;
  type: string;
  actor: { type: string; id: string; onBehalfOf?: string; initiator?: string };
  subject: { type: string; id: string };
  task: { id: string; parent?: string } | null;
  tool: string | null;
  effect: Effect | null;
  outcome: string | null;
  rules: string[];
  policyVersion: string | null;
  payload: Record<string, unknown> | null;
  shredded: boolean;
  leafHash: string;
}

export interface TraceAction {
  decisionId: string;
  agentId: string;
  taskId: string;
  tool: string;
  args: unknown;
  effect: Effect;
  code: string;
  reason: string;
  decidingRule: string | null;
  decidedAt: string;
  model?: string | null;
  outcome: { status: string; costUsd?: number | null; reportedAt?: string; [key: string]: unknown } | null;
  approvalRequest?: { id: string; status: string } | null;
}

export interface Trace {
  task: { id: string; agentId: string; environment: string | null; createdAt: string; lastActionAt: string };
  actions: TraceAction[];
  children: Trace[];
}

export interface PolicyRule {
  id: string;
  effect: Effect;
  tools: string[];
  when: string | null;
  reason: string | null;
  approval: unknown;
}

export interface Policy {
  name: string;
  kind: string;
  description: string | null;
  owner: string | null;
  file: string | null;
  rules: PolicyRule[];
}

export interface PolicySet {
  version: string | null;
  activatedAt: string | null;
  activatedBy: string | null;
  ruleCount: number;
  policies: Policy[];
  files?: Array<{ path: string; text: string }>;
}

export interface PolicyVersion {
  version: string;
  activatedAt: string;
  activatedBy: string | null;
  ruleCount: number;
  active: boolean;
}

export interface Incident {
  id: string;
  kind: string;
  agentId: string;
  approvalId?: string | null;
  decisionId?: string | null;
  summary: string;
  /** The accountable chain (agent, owner, invoker, approver) and what happened. */
  detail?: Record<string, unknown>;
  createdAt: string;
}

export interface TenantFreeze {
  tenant: {
    id: string;
    frozen: boolean;
    frozenAt: string | null;
    frozenBy: string | null;
    reason: string | null;
  };
}

export interface Overview {
  agents: { byStatus: Record<string, number>; byTier: Record<string, number> } | null;
  spend: {
    today: { usd: number };
    month: { usd: number };
    budgets: Array<{
      id: string;
      name: string;
      scope: string;
      window: string;
      limit: number;
      used: number;
      unit: string;
      percent: number;
      counter: string | null;
    }>;
    series: Array<{ day: string; usd: number }>;
  } | null;
  waiting: { approvals: number; more: boolean } | null;
  incidents: { open: number; recent: Incident[] } | null;
  decisions24h: Array<{ hour: string; allow: number; review: number; deny: number }> | null;
  anomalies: Anomaly[] | null;
}

export interface Anomaly {
  eventId: string;
  agentId: string;
  agentName: string | null;
  kind: 'anomaly' | 'breaker_trip';
  metric: string | null;
  detail: string;
  at: string;
}

export interface BudgetUsage {
  budget: Budget;
  series: Array<{ day: string; used: number }>;
  projection: {
    counter: string | null;
    windowStart: string | null;
    windowEnd: string | null;
    used: number;
    projectedUsed: number;
    exhaustsAt: string | null;
  };
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: string;
  time: string;
  note: string;
  verifierKey: string;
}

export interface InclusionProof {
  event: string;
  seq: number;
  leafHash: string;
  size: number;
  root: string;
  checkpoint: string | null;
  proof: string[];
}

/** `POST /v1/approvals/:id/reauth`: a single-use proof for this request, sent with the approval. */
export interface ReauthProof {
  reauth: { proof: string; proofId: string; approvalId: string; expiresAt: string };
}

/** `GET /v1/me/reauth-secret`: whether the human has set a re-authentication secret. */
export interface ReauthSecretState {
  reauthSecret: { set: boolean };
}

export type TrustTier = 'sandbox' | 'monitored' | 'trusted';

/** `GET /v1/agents/:id/trust`: where the agent stands and what promotion still needs. */
export interface TrustStanding {
  agentId: string;
  name: string;
  tier: TrustTier;
  tierSince: string;
  lastEvaluatedAt: string | null;
  nextTier: TrustTier | null;
  eligible: boolean;
  promotion: 'approval' | 'automatic' | 'off';
  pendingPromotion: string | null;
  criteria: Array<{ name: string; met: boolean; required: string; actual: string; needs: string | null }>;
  evidence: {
    daysInTier: number;
    criticalIncidents: number;
    activeDays: number;
    overBudgetDays: number;
    withinBudgetPercent: number;
    successes: number;
    failures: number;
    denied: number;
    rejectedReviews: number;
    failureRatePercent: number;
  };
}
