import swagger from '@fastify/swagger';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Authenticator } from '../credentials/authenticator.js';
import { WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { authenticateRequest } from './auth.js';
import { handleError } from './errors.js';
import { RequestLogging } from './request-logging.js';

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  /** The node's logger (see createLogger): the app's request logs are its children. */
  readonly logger: FastifyBaseLogger;
  readonly authenticator: Authenticator;
  readonly version: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The Fastify instance with Warden's conventions: auth hook, error envelope, validation, OpenAPI. */
export async function createApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT,
    // A caller's request id is kept when it is sane, so logs correlate across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('req');
    },
    logController: new RequestLogging(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // JSON only: a text body would otherwise reach the schema as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    handleError(
      new WardenError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );
  app.addHook('onRoute', (route) => {
    if (!route.config?.auth && !route.url.startsWith('/openapi')) {
      throw new Error(`route ${route.method} ${route.url} does not declare who may call it`);
    }
  });
  app.addHook('onRequest', authenticateRequest(options.authenticator));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', String(request.id));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Warden',
        version: options.version,
        description: 'Governance control plane for AI agents',
      },
      components: {
        securitySchemes: {
          agentKey: { type: 'http', scheme: 'bearer', description: 'An agent key (wdn_a_...)' },
          humanToken: { type: 'http', scheme: 'bearer', description: 'A human API token (wdn_u_...)' },
        },
      },
    },
  });
  app.get('/openapi.json', { config: { auth: { kind: 'public' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}
