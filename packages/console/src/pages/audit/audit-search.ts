/** The audit search's filters (those of GET /v1/audit/events), kept in the URL. */
export interface AuditSearch {
  agent?: string;
  tool?: string;
  type?: string;
  effect?: string;
  outcome?: string;
  task?: string;
  from?: string;
  to?: string;
}

export const AUDIT_FILTERS = ['agent', 'tool', 'type', 'effect', 'outcome', 'task', 'from', 'to'] as const;

export function parseAuditSearch(search: Record<string, unknown>): AuditSearch {
  const parsed: AuditSearch = {};
  for (const key of AUDIT_FILTERS) {
    const value = search[key];
    if (typeof value === 'string' && value) parsed[key] = value;
  }
  return parsed;
}
