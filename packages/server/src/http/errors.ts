import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type ErrorCode, WardenError } from '../errors.js';

/** The longest path parameter routed; longer ones are a 414 (an e-mail address stays below it). */
export const MAX_PARAM_LENGTH = 512;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: Record<string, unknown> };
}

/** Turns any thrown error into the envelope; unexpected errors are logged and answered as `internal`. */
export function handleError(error: FastifyError | WardenError, request: FastifyRequest, reply: FastifyReply) {
  const { code, message, details } = classify(error);
  if (code === 'internal' || code === 'governance_unavailable') {
    request.log.error({ err: error }, 'request failed');
  }
  const body: ErrorBody = { error: { code, message, requestId: String(request.id) } };
  if (details) body.error.details = details;
  // Errors raised before routing (bad URLs) skip the onSend hook that sets this on every answer.
  reply.header('x-request-id', body.error.requestId);
  return reply.status(ERROR_STATUS[code]).send(body);
}

export function classify(error: FastifyError | WardenError): {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
} {
  if (error instanceof WardenError)
    return { code: error.code, message: error.message, details: error.details };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const part = fastifyError.validationContext ?? 'body';
    const pointer = first?.instancePath ?? '';
    const missing = (first?.params as { requiredProperties?: string[]; missingProperty?: string } | undefined)
      ?.requiredProperties?.[0];
    const extra = (
      first?.params as { additionalProperties?: string[]; additionalProperty?: string } | undefined
    )?.additionalProperties?.[0];
    const segments = pointer.split('/').filter(Boolean);
    if (missing) segments.push(missing);
    if (extra) segments.push(extra);
    // The same notation as the policy loader's field paths: `body.members[2]`, `body.context.taskId`.
    const field = [part, ...segments].reduce((path, segment) =>
      /^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`,
    );
    let message = first?.message ?? 'is invalid';
    if (first?.keyword === 'additionalProperties') message = 'is not a known field';
    else if (first?.keyword === 'required') message = 'is required';
    return {
      code: 'invalid_request',
      message: `${field}: ${message}`,
      details: { field, problems: fastifyError.validation.length },
    };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return {
        code: 'invalid_request',
        message: 'url: the path is not valid percent-encoding',
        details: { field: 'url' },
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        code: 'uri_too_long',
        message: `url: a path segment is longer than ${MAX_PARAM_LENGTH} characters`,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'the request body is larger than 1 MiB' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: 'send the body as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'invalid_request', message: 'body: the JSON body is empty', details: { field: 'body' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'invalid_request', message: 'body: is not valid JSON', details: { field: 'body' } };
  }
  if (fastifyError instanceof SyntaxError || fastifyError.statusCode === 400) {
    return { code: 'invalid_request', message: `body: ${fastifyError.message}`, details: { field: 'body' } };
  }
  if (fastifyError.statusCode === 413)
    return { code: 'payload_too_large', message: 'the request body is too large' };
  if (fastifyError.statusCode === 415)
    return { code: 'unsupported_media_type', message: fastifyError.message };
  return { code: 'internal', message: 'an unexpected error occurred; it has been logged' };
}
