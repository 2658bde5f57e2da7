/** The inventory's filters, the same as `warden agents list`, kept in the URL so a view can be shared. */
export interface AgentsSearch {
  status?: string;
  tier?: string;
  risk?: string;
  environment?: string;
  role?: string;
  owner?: string;
}

const KEYS = ['status', 'tier', 'risk', 'environment', 'role', 'owner'] as const;

export function parseAgentsSearch(search: Record<string, unknown>): AgentsSearch {
  const parsed: AgentsSearch = {};
  for (const key of KEYS) {
    const value = search[key];
    if (typeof value === 'string' && value) parsed[key] = value;
  }
  return parsed;
}
