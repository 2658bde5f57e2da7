import { Type } from 'typebox';
import { IsoTime, toIso } from '../../http/schemas.js';
import type { AgentDrift } from '../agent-drift.js';
import type { DriftReport } from '../drift-service.js';

/** An agent's drift as the API shows it (times as ISO strings). */
export const AgentDriftSchema = Type.Object(
  {},
  { additionalProperties: true, description: 'One agent: rules, grants, tools and candidates' },
);

export const DriftReportSchema = Type.Object(
  {
    window: Type.Object({ from: IsoTime, to: IsoTime, days: Type.Integer() }),
    policyVersion: Type.Union([Type.String(), Type.Null()]),
    unavailableServers: Type.Array(Type.Object({ server: Type.String(), reason: Type.String() })),
    summary: Type.Object({
      agents: Type.Integer(),
      agentsWithCandidates: Type.Integer(),
      candidates: Type.Integer(),
    }),
    agents: Type.Array(AgentDriftSchema),
  },
  { additionalProperties: false },
);

export function agentDriftJson(drift: AgentDrift) {
  return {
    ...drift,
    observedFrom: toIso(drift.observedFrom),
    rules: drift.rules.map((r) => ({ ...r, lastUsedAt: toIso(r.lastUsedAt) })),
    grants: drift.grants.map((g) => ({
      ...g,
      expiresAt: toIso(g.expiresAt),
      lastUsedAt: toIso(g.lastUsedAt),
    })),
    tools: {
      ...drift.tools,
      used: drift.tools.used.map((u) => ({ ...u, lastUsedAt: toIso(u.lastUsedAt) })),
    },
  };
}

export function driftReportJson(report: DriftReport) {
  return {
    ...report,
    window: { from: toIso(report.window.from), to: toIso(report.window.to), days: report.window.days },
    unavailableServers: [...report.unavailableServers],
    agents: report.agents.map(agentDriftJson),
  };
}
