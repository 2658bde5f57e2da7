import { formatIssue, MAX_FILE_BYTES, parseDuration } from '@warden/policy';
import { Type } from 'typebox';
import { invalidField, WardenError } from '../../errors.js';
import { StrictObject } from '../../http/schemas.js';
import type { PolicyInvalid } from '../policy-service.js';

/** A candidate bundle as the CLI reads it from a directory (`readBundleFiles`): each file's path and text. */
export const PolicyFiles = Type.Array(
  StrictObject({
    path: Type.String({ minLength: 1, maxLength: 1024, description: 'the path inside the bundle directory' }),
    text: Type.String({ maxLength: MAX_FILE_BYTES }),
  }),
  { minItems: 1, maxItems: 1000, description: "the bundle's files, as `warden policy lint` reads them" },
);

/** 422 with every issue, each also formatted as `warden policy lint` prints it; nothing changed. */
export function policyInvalidError(result: PolicyInvalid, unchanged: string): WardenError {
  return new WardenError(result.code, `${result.message}; ${unchanged}`, {
    issues: result.issues.map((issue) => ({ ...issue, text: formatIssue(issue) })),
  });
}

/** A duration field (`90s`, `15m`, `24h`, `7d`) in seconds, between `min` and `max` seconds. */
export function durationField(field: string, text: string, min: number, max: number): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw invalidField(field, `"${text}" is not a duration (90s, 15m, 24h, 7d)`);
  if (seconds < min || seconds > max) {
    throw invalidField(field, `must be between ${min} and ${max} seconds (${text} is ${seconds})`);
  }
  return seconds;
}

export const DurationText = Type.String({ maxLength: 32, description: 'a duration: 90s, 15m, 24h, 7d' });
