import { Type } from 'typebox';
import { IsoTime, toIso } from '../../http/schemas.js';
import type { ImpactReport } from '../impact/impact-report.js';

const Example = Type.Object({ decisionId: Type.String(), at: IsoTime });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ImpactReportSchema = Type.Object({
  activeVersion: Type.Union([Type.String(), Type.Null()]),
  candidateVersion: Type.String(),
  window: Type.Object({
    since: IsoTime,
    until: IsoTime,
    agents: Type.Union([Type.Array(Type.String()), Type.Null()]),
  }),
  /** Set when the window holds no recorded decision at all. */
  note: Type.Union([Type.String(), Type.Null()]),
  decisions: Type.Integer({ description: 'recorded decisions in the window, replayed or not' }),
  replayed: Type.Integer(),
  unchanged: Type.Integer(),
  changed: Type.Integer(),
  transitions: Type.Record(Type.String(), Type.Integer()),
  notReplayed: Type.Object({
    redacted: Type.Integer({ description: 'arguments redacted (or a sealed value shredded) before storage' }),
    rejectedArgs: Type.Integer({
      description: 'arguments Warden refused as unusable; only a stand-in was kept',
    }),
    noPolicyInput: Type.Integer({
      description: 'decided by a server gate before the policy, or recorded before inputs were kept',
    }),
    redactedExamples: Type.Array(Example),
  }),
  agentsLosingAllows: Type.Array(Type.Object({ agentId: Type.String(), count: Type.Integer() })),
  groups: Type.Array(
    Type.Object({
      transition: Type.String(),
      agentId: Type.String(),
      tool: Type.String(),
      fromRule: Nullable(Type.String()),
      toRule: Nullable(Type.String()),
      count: Type.Integer(),
      examples: Type.Array(Example),
    }),
  ),
  groupsTruncated: Type.Boolean(),
});

export function impactJson(report: ImpactReport, activeVersion: string | null) {
  const example = (e: { decisionId: string; at: number }) => ({ decisionId: e.decisionId, at: toIso(e.at) });
  return {
    activeVersion,
    candidateVersion: report.candidateVersion,
    window: {
      since: toIso(report.window.since),
      until: toIso(report.window.until),
      agents: report.window.agents ? [...report.window.agents] : null,
    },
    note:
      report.decisions === 0 ? 'no decisions were recorded in the window: there is nothing to replay' : null,
    decisions: report.decisions,
    replayed: report.replayed,
    unchanged: report.unchanged,
    changed: report.changed,
    transitions: report.transitions,
    notReplayed: {
      ...report.notReplayed,
      redactedExamples: report.notReplayed.redactedExamples.map(example),
    },
    agentsLosingAllows: [...report.agentsLosingAllows],
    groups: report.groups.map((g) => ({ ...g, examples: g.examples.map(example) })),
    groupsTruncated: report.groupsTruncated,
  };
}
