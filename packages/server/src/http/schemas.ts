import { type TSchema, Type } from 'typebox';
import type { IdPrefix } from '../ids.js';

/** Shared pieces of route schemas. Times cross the API as ISO-8601 strings; storage keeps epoch ms. */

export const IsoTime = Type.String({ format: 'date-time' });
export const NullableIsoTime = Type.Union([IsoTime, Type.Null()]);

export function toIso(ms: number): string;
export function toIso(ms: number | null): string | null;
export function toIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A prefixed id (`agt_...`) as a path parameter or field; anything else is a 400 naming the field. */
export function IdOf(prefix: IdPrefix) {
  return Type.String({ pattern: `^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`, description: `${prefix}_ id` });
}

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      requestId: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: undefined, description: 'The error envelope' },
);

/** The error statuses a route can answer, for the API document and fast serialisation. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of [400, 401, 403, ...statuses]) out[status] = ErrorResponse;
  return out;
}

/**
 * preValidation for routes whose body is optional: no body at all counts as `{}` (the CLI and curl
 * send none when there is nothing to say). A JSON `null`, array or string is still refused as a 400
 * naming `body`: only an absent body is taken as empty.
 */
export async function absentBodyAsEmpty(request: { body: unknown }): Promise<void> {
  if (request.body === undefined) request.body = {};
}

/** Objects in requests reject unknown fields. */
export function StrictObject<T extends Record<string, TSchema>>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
}
