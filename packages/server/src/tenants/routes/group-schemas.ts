import { Type } from 'typebox';
import { IdOf } from '../../http/schemas.js';

export const GroupName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' });
/** Human ids in on-call order. */
export const MemberIds = Type.Array(IdOf('usr'), { maxItems: 1000 });
export const GroupParams = Type.Object({ id: IdOf('grp') });
