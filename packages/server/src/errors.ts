/**
 * The domain's failures: a closed set of codes, the one place that maps them to HTTP statuses, and
 * the error services throw for a caller's mistake. The HTTP layer turns them into the envelope
 * (`http/errors.ts`); gateways turn them into their protocol's own error shape.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  separation_of_duties: 403,
  reauth_required: 403,
  /** A write authenticated by the console's session cookie without its X-Warden-CSRF header. */
  csrf_required: 403,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  policy_invalid: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  governance_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class WardenError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'WardenError';
  }
}

export const notFound = (what: string, id: string) => new WardenError('not_found', `${what} ${id} not found`);
export const forbidden = (message: string) => new WardenError('forbidden', message);
export const invalidField = (field: string, message: string) =>
  new WardenError('invalid_request', `${field}: ${message}`, { field });
