import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { AuditProofs } from '../audit-proofs.js';
import { ANY_HUMAN, Base64Hash, TreeSize } from './audit-schemas.js';

const Query = Type.Object({ from: TreeSize, to: TreeSize }, { additionalProperties: false });

const Response = Type.Object({ from: TreeSize, to: TreeSize, proof: Type.Array(Base64Hash) });

/** GET /v1/audit/proof/consistency: proves the tree of `from` leaves is a prefix of the tree of `to`. */
export function registerConsistencyProof(app: App, proofs: AuditProofs): void {
  app.get(
    '/v1/audit/proof/consistency',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['audit'],
        summary: 'The consistency proof between two tree sizes',
        querystring: Query,
        response: { 200: Response, ...errorResponses() },
      },
    },
    async (request) => proofs.consistency(humanOf(request).tenantId, request.query.from, request.query.to),
  );
}
