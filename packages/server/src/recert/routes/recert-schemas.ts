import { Type } from 'typebox';
import { Risk } from '../../agents/routes/agent-schemas.js';
import { MAX_DRIFT_DAYS } from '../../drift/drift-service.js';
import { IdOf, IsoTime, NullableIsoTime, StrictObject } from '../../http/schemas.js';
import { CERTIFY_DECISIONS, NO_RESPONSE_ACTIONS } from '../campaign.js';

export const CampaignParams = Type.Object({ id: IdOf('rcp') });
export const ItemParams = Type.Object({ id: IdOf('rcp'), agentId: IdOf('agt') });

/** Who reads campaigns: owners (their own agents' items), admins, security and auditors. */
export const CAMPAIGN_READERS = { kind: 'human', roles: ['security', 'auditor', 'owner'] } as const;

export const CampaignSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.Enum(['open', 'escalated', 'closed', 'completed']),
  scope: Type.Object({ risk: Type.Optional(Type.String()), owner: Type.Optional(Type.String()) }),
  deadline: IsoTime,
  graceSeconds: Type.Integer(),
  onNoResponse: Type.Enum([...NO_RESPONSE_ACTIONS]),
  driftDays: Type.Integer(),
  createdBy: Type.String(),
  createdAt: IsoTime,
  escalatedAt: NullableIsoTime,
  closedAt: NullableIsoTime,
});

export const ProgressSchema = Type.Object({
  total: Type.Integer(),
  pending: Type.Integer(),
  escalated: Type.Integer(),
  kept: Type.Integer(),
  reduced: Type.Integer(),
  retired: Type.Integer(),
  suspended: Type.Integer(),
  flagged: Type.Integer(),
});

export const ItemSchema = Type.Object(
  {
    agentId: Type.String(),
    ownerId: Type.String(),
    status: Type.String(),
    decision: Type.Union([Type.Enum([...CERTIFY_DECISIONS]), Type.Null()]),
    comment: Type.Union([Type.String(), Type.Null()]),
    reduction: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    certifiedBy: Type.Union([Type.String(), Type.Null()]),
    certifiedAt: NullableIsoTime,
    escalatedAt: NullableIsoTime,
    resolvedAt: NullableIsoTime,
    drift: Type.Object(
      {},
      { additionalProperties: true, description: 'The drift figures when the campaign started' },
    ),
  },
  { additionalProperties: false },
);

export const StartBody = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  deadline: IsoTime,
  scope: Type.Optional(
    StrictObject(
      { risk: Type.Optional(Risk), owner: Type.Optional(IdOf('usr')) },
      'which agents: every agent not retired, or those of a risk class, of an owner, or both',
    ),
  ),
  driftDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DRIFT_DAYS })),
});

const RuleId = Type.String({ minLength: 1, maxLength: 200 });

export const CertifyBody = StrictObject({
  decision: Type.Enum([...CERTIFY_DECISIONS]),
  comment: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  remove: Type.Optional(
    StrictObject(
      {
        rules: Type.Optional(Type.Array(RuleId, { maxItems: 200 })),
        grants: Type.Optional(Type.Array(IdOf('grt'), { maxItems: 200 })),
      },
      'for reduce: the rules and temporary grants to take away',
    ),
  ),
});

export const SettingsSchema = Type.Object({
  onNoResponse: Type.Enum([...NO_RESPONSE_ACTIONS]),
  graceSeconds: Type.Integer(),
});

export const SettingsBody = StrictObject({
  onNoResponse: Type.Optional(Type.Enum([...NO_RESPONSE_ACTIONS])),
  graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 * 86_400 })),
});
