import type { Socket } from 'node:net';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import { SESSION_COOKIE } from '../console/console-secrets.js';
import type { SessionAuthenticator } from '../console/session-authenticator.js';
import type { Authenticator } from '../credentials/authenticator.js';
import { WardenError } from '../errors.js';
import { authenticateRequest } from './auth.js';
import { answerClientError } from './client-errors.js';
import { handleError, MAX_PARAM_LENGTH } from './errors.js';
import { openApiSecurity } from './openapi-security.js';
import { requestIdOf } from './request-id.js';
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
  /** The console's session cookies; without it (WARDEN_CONSOLE=off) cookies are ignored. */
  readonly sessions?: SessionAuthenticator;
  readonly version: string;
  /** Sees every route as it is added (tests check each route's security against a table). */
  readonly onRoute?: (route: RouteOptions) => void;
  /**
   * Asked first for a request no route matched (the web console's pages); answers whether it
   * replied. Otherwise, and when it is absent, the request gets the API's 404.
   */
  readonly pages?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
}

/** The Fastify instance with Warden's conventions: auth hook, error envelope, validation, OpenAPI. */
export async function createApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => requestIdOf(req.headers),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Bad percent-encoding and overlong path parameters, refused before routing.
    frameworkErrors: handleError,
    clientErrorHandler: answerClientError,
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
  app.setNotFoundHandler(async (request, reply) => {
    if (options.pages && (await options.pages(request, reply))) return reply;
    return handleError(
      new WardenError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    );
  });
  app.addHook('onRoute', (route) => {
    if (!route.config?.auth && !route.url.startsWith('/openapi')) {
      throw new Error(`route ${route.method} ${route.url} does not declare who may call it`);
    }
    openApiSecurity(route);
    options.onRoute?.(route);
  });
  // Parses cookies in its own onRequest hook, registered before (so run before) authentication.
  await app.register(cookie);
  app.addHook('onRequest', authenticateRequest(options.authenticator, options.sessions));
  dropSilentConnectionsOnClose(app);
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
          consoleSession: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description:
              'The web console session (POST /v1/console/sign-in); writes also need the X-Warden-CSRF header',
          },
        },
      },
    },
  });
  app.get('/openapi.json', { config: { auth: { kind: 'public' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}

/**
 * Closing waits for the requests in flight, and Node counts a connection that has sent nothing yet
 * (a client's spare keep-alive connection, a probe) as in flight until its headers time out, which
 * would hold a shutdown for a minute. Such connections carry no request: they are dropped.
 */
function dropSilentConnectionsOnClose(app: App): void {
  const connections = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  app.addHook('preClose', async () => {
    for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
  });
}
