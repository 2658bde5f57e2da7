import { type Static, Type } from 'typebox';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { errorResponses, IdOf, StrictObject } from '../../http/schemas.js';
import { STEP_UP_SIGNATURE_HEADER } from '../hook-signature.js';
import type { StepUpService } from '../step-up-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, on routes that verify a signature over it. */
    rawBody?: string;
  }
}

const MAX_BODY_BYTES = 16 * 1024;

const Body = StrictObject({
  requestId: IdOf('sur'),
  approvalId: IdOf('apr'),
  subject: Type.String({ minLength: 1, maxLength: 200 }),
  actionDigest: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()]),
  verdict: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
});

/**
 * POST /v1/step-up/callback: the product's signed confirmation that it re-authenticated the person
 * a step-up request named. Public (the product holds no Warden credential): the signature with the
 * tenant's hook secret over the exact body is the credential. Its own JSON parser keeps the raw body.
 */
export function registerStepUpCallback(app: App, service: StepUpService): void {
  app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
      (request, body, done) => {
        const text = String(body);
        request.rawBody = text;
        try {
          done(null, JSON.parse(text));
        } catch {
          done(new WardenError('invalid_request', 'body: is not valid JSON', { field: 'body' }), undefined);
        }
      },
    );
    scope.post(
      '/v1/step-up/callback',
      {
        config: { auth: { kind: 'public' } },
        schema: {
          tags: ['step-up'],
          summary: "A product's signed re-authentication confirmation",
          description: `Signed in the \`${STEP_UP_SIGNATURE_HEADER}\` header (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> with the hook's secret, within 5 minutes of now). It must name the step-up request, its approval, person and action digest; each request is answered once.`,
          body: Body,
          response: {
            200: Type.Object({ approval: Type.Object({ id: Type.String(), status: Type.String() }) }),
            ...errorResponses(409),
          },
        },
      },
      async (request) => {
        const header = request.headers[STEP_UP_SIGNATURE_HEADER];
        const approval = await service.confirm(
          request.rawBody ?? '',
          typeof header === 'string' ? header : undefined,
          request.body as Static<typeof Body>,
        );
        return { approval: { id: approval.id, status: approval.status } };
      },
    );
  });
}
