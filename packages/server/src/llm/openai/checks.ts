import { LlmProxyError } from '../http/api-errors.js';

/** Checks of an OpenAI-shaped request body: a mistake is a 400 naming the field, as OpenAI names it. */

export function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(at, `${at} must be an object`);
  return value as Record<string, unknown>;
}

export function limit(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10_000_000)
    throw bad(param, `${param} must be a positive whole number`);
  return value;
}

export function bad(param: string, message: string): LlmProxyError {
  return new LlmProxyError(400, 'invalid_request', message, {
    field: param === 'body' ? 'body' : `body.${param}`,
  });
}
