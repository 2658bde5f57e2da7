import { Type } from 'typebox';
import { IdOf, IsoTime, NullableIsoTime } from '../http/schemas.js';
import { HUMAN_STATUSES } from './human.js';
import { HUMAN_ROLES } from './roles.js';

/** Response shapes shared by the tenant, human, token and group routes. */

export const RoleSchema = Type.Enum([...HUMAN_ROLES]);
export const StatusSchema = Type.Enum([...HUMAN_STATUSES]);

export const HumanSchema = Type.Object({
  id: IdOf('usr'),
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(RoleSchema),
  status: StatusSchema,
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const TenantSchema = Type.Object({
  id: IdOf('ten'),
  slug: Type.String(),
  name: Type.String(),
  createdAt: IsoTime,
});

export const TokenSchema = Type.Object({
  id: IdOf('tok'),
  name: Type.String(),
  hint: Type.String({ description: 'The first characters of the token, to tell tokens apart' }),
  createdAt: IsoTime,
  expiresAt: NullableIsoTime,
  revokedAt: NullableIsoTime,
  lastUsedAt: NullableIsoTime,
});

export const GroupSchema = Type.Object({
  id: IdOf('grp'),
  name: Type.String(),
  onCall: Type.Boolean(),
  members: Type.Array(
    Type.Object({
      humanId: IdOf('usr'),
      email: Type.String(),
      name: Type.String(),
      position: Type.Integer({ description: 'Place in the on-call order, from 0' }),
    }),
  ),
  createdAt: IsoTime,
});

export const HumanParams = Type.Object({ id: IdOf('usr') });
