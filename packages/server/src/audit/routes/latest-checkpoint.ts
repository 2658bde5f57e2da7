import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { AuditProofs } from '../audit-proofs.js';
import { ANY_HUMAN, Base64Hash, TreeSize } from './audit-schemas.js';

const Response = Type.Object({
  origin: Type.String(),
  size: TreeSize,
  root: Base64Hash,
  time: Type.String({ format: 'date-time' }),
  note: Type.String({ description: 'the C2SP signed note' }),
  verifierKey: Type.String({ description: 'the C2SP verifier key that checks the note' }),
});

/** GET /v1/audit/checkpoints/latest: the newest signed checkpoint of the caller's tenant's log. */
export function registerLatestCheckpoint(app: App, proofs: AuditProofs): void {
  app.get(
    '/v1/audit/checkpoints/latest',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['audit'],
        summary: 'The latest signed checkpoint',
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => proofs.latestCheckpoint(humanOf(request).tenantId),
  );
}
