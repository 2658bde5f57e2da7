import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type WardenError } from '../../errors.js';
import { classify } from '../../http/errors.js';
import type { LlmApi } from '../model-route.js';

/** A refusal of the LLM proxy, answered in the shape of the API the agent called. */
export class LlmProxyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    public extra: {
      /** The request field at fault, as Warden names fields: `body`, `body.messages`. */
      readonly field?: string;
      readonly retryAfterSeconds?: number;
      readonly decisionId?: string;
    } = {},
  ) {
    super(message);
    this.name = 'LlmProxyError';
  }
}

/** What each API calls the kind of an error, by status, as their clients map them to error classes. */
function typeOf(api: LlmApi, status: number): string {
  if (api === 'anthropic') {
    const types: Record<number, string> = {
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      529: 'overloaded_error',
    };
    return types[status] ?? 'api_error';
  }
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'invalid_request_error',
    409: 'invalid_request_error',
    413: 'invalid_request_error',
    429: 'rate_limit_error',
  };
  return types[status] ?? 'server_error';
}

/**
 * The body of an error in the API's own shape. Warden adds, inside `error`, its own `code`,
 * `requestId` and the field at fault: clients ignore fields they do not know, and a Warden refusal
 * reads the same way on every route.
 */
export function errorBody(api: LlmApi, error: LlmProxyError, requestId: string): Record<string, unknown> {
  const field = error.extra.field;
  const warden = { code: error.code, requestId, ...(field ? { details: { field } } : {}) };
  if (api === 'anthropic') {
    return { type: 'error', error: { type: typeOf(api, error.status), message: error.message, ...warden } };
  }
  return {
    error: {
      message: error.message,
      type: typeOf(api, error.status),
      param: field ? field.replace(/^body\.?/, '') || null : null,
      ...warden,
    },
  };
}

/** Sends `error` in the API's shape, with the headers that say what Warden decided. */
export function sendError(reply: FastifyReply, api: LlmApi, error: LlmProxyError): FastifyReply {
  if (error.extra.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.extra.retryAfterSeconds))));
  if (error.extra.decisionId) reply.header('x-warden-decision-id', error.extra.decisionId);
  reply.header('x-request-id', String(reply.request.id));
  return reply.status(error.status).send(errorBody(api, error, String(reply.request.id)));
}

/**
 * The error handler of the proxy's routes: Warden's own failures (no key, a bad body, a node that
 * cannot record) answered in the API's shape, so the agent's client raises its usual error classes.
 */
export function llmErrorHandler(api: LlmApi) {
  return (
    error: FastifyError | WardenError | LlmProxyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => {
    if (error instanceof LlmProxyError) return sendError(reply, api, error);
    const { code, message, details } = classify(error);
    if (code === 'internal' || code === 'governance_unavailable') {
      request.log.error({ err: error }, 'LLM proxy request failed');
    }
    const field = typeof details?.field === 'string' ? details.field : undefined;
    return sendError(
      reply,
      api,
      new LlmProxyError(ERROR_STATUS[code], code, message, field ? { field } : {}),
    );
  };
}
