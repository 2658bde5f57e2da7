import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { AuditProofs } from '../audit-proofs.js';
import { ANY_HUMAN, Base64Hash, TreeSize } from './audit-schemas.js';

const Query = Type.Object(
  {
    event: IdOf('evt'),
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
);

const Response = Type.Object({
  event: Type.String(),
  seq: Type.Integer(),
  leafHash: Base64Hash,
  size: TreeSize,
  root: Base64Hash,
  checkpoint: Type.Union([Type.String(), Type.Null()], {
    description: 'the signed checkpoint of exactly this size, when one exists',
  }),
  proof: Type.Array(Base64Hash),
});

/** GET /v1/audit/proof/inclusion: proves an event is leaf `seq` of the tree of `size` leaves. */
export function registerInclusionProof(app: App, proofs: AuditProofs): void {
  app.get(
    '/v1/audit/proof/inclusion',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['audit'],
        summary: 'The inclusion proof of an event (size defaults to the latest checkpoint)',
        querystring: Query,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => proofs.inclusion(humanOf(request).tenantId, request.query.event, request.query.size),
  );
}
