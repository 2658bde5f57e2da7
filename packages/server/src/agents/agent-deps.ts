import type { Registrations } from '../approvals/registration.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import type { NotifyDeps } from './agent-notify.js';

/** What the agent services need; built once in main.ts. */
export interface AgentDeps extends NotifyDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly clock: () => number;
  /** Opens the approval request that activates a medium or high-risk agent. */
  readonly registrations: Registrations;
}

/** Unique-constraint violations on either database: a concurrent writer took the name first. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
