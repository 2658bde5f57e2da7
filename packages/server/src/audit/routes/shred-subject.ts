import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import type { AuditShredder } from '../audit-shred.js';

const Body = StrictObject({
  subject: Type.String({
    minLength: 1,
    maxLength: 1000,
    description: 'the identifier as it appeared in the data (e.g. a customer id)',
  }),
});

const Response = Type.Object({
  keyId: Type.String({ description: 'the destroyed key; the audit log names the subject only by it' }),
  destroyed: Type.Boolean({ description: 'false when an earlier request already destroyed it' }),
});

/**
 * POST /v1/audit/shred: erases a data subject. The subject's key is destroyed, so every value sealed
 * with it reads as [shredded]; the log's hashes and proofs are unchanged. 404 when nothing was ever
 * sealed for that subject.
 */
export function registerShredSubject(app: App, shredder: AuditShredder): void {
  app.post(
    '/v1/audit/shred',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['audit'],
        summary: "Shred a data subject's sealed values (admin, security)",
        body: Body,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => shredder.shred(humanOf(request), request.body.subject),
  );
}
