import { Type } from 'typebox';
import { IsoTime, NullableIsoTime, toIso } from '../../http/schemas.js';
import type { AffectedAgent } from '../schedule/owner-notices.js';
import type { ScheduledVersion } from '../schedule/policy-schedules.js';

export const AffectedAgentSchema = Type.Object({
  agentId: Type.String(),
  agentName: Type.String(),
  ownerId: Type.String(),
  ownerEmail: Type.String(),
  count: Type.Integer({
    description: 'recorded allows (last 7 days) the version turns into denies or reviews',
  }),
});

export const ScheduledVersionSchema = Type.Object({
  id: Type.String(),
  version: Type.String(),
  status: Type.Union([
    Type.Literal('scheduled'),
    Type.Literal('activated'),
    Type.Literal('cancelled'),
    Type.Literal('superseded'),
  ]),
  activateAt: IsoTime,
  createdBy: Type.String(),
  createdAt: IsoTime,
  closedBy: Type.Union([Type.String(), Type.Null()]),
  closedAt: NullableIsoTime,
  affectedAgents: Type.Array(AffectedAgentSchema),
});

export function scheduleJson(schedule: ScheduledVersion) {
  return {
    ...schedule,
    activateAt: toIso(schedule.activateAt),
    createdAt: toIso(schedule.createdAt),
    closedAt: toIso(schedule.closedAt),
    affectedAgents: schedule.affectedAgents.map(affectedJson),
  };
}

export function affectedJson(agent: AffectedAgent) {
  return {
    agentId: agent.agentId,
    agentName: agent.agentName,
    ownerId: agent.ownerId,
    ownerEmail: agent.ownerEmail,
    count: agent.count,
  };
}
