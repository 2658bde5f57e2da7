import { UsageError } from '../io.js';

/** Local checks of `warden agents` arguments, so a typo is a usage error (exit 2) naming the flag. */

export const RISKS = ['public', 'internal', 'pii', 'financial', 'phi'] as const;
export const ENVIRONMENTS = ['sandbox', 'staging', 'production'] as const;
export const TIERS = ['sandbox', 'monitored', 'trusted'] as const;
export const STATUSES = ['pending', 'active', 'suspended', 'retired'] as const;

/** The server's ids: a prefix, then 26 lower-case Crockford base32 characters. */
export function checkId(what: string, prefix: 'agt' | 'usr' | 'key', value: string): string {
  if (!new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`).test(value))
    throw new UsageError(`${what}: expected ${prefix}_ followed by 26 characters, got "${value}"`);
  return value;
}

export function checkEnum<T extends string>(flag: string, allowed: readonly T[], value: string): T {
  const found = allowed.find((item) => item === value);
  if (found === undefined)
    throw new UsageError(`${flag}: expected one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

export function checkInteger(flag: string, value: string, min: number): number {
  const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    const expected =
      min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new UsageError(`${flag}: expected ${expected}, got "${value}"`);
  }
  return number;
}

/** An ISO 8601 date or date-time, sent as the full UTC form the API uses. */
export function checkTime(flag: string, value: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}([T ].*)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`${flag}: expected an ISO 8601 time such as 2026-07-01T09:00:00Z, got "${value}"`);
  return new Date(ms).toISOString();
}

export function checkLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const key = value.slice(0, at);
    if (at <= 0) throw new UsageError(`--label: expected key=value, got "${value}"`);
    if (Object.hasOwn(labels, key)) throw new UsageError(`--label: "${key}" is given twice`);
    labels[key] = value.slice(at + 1);
  }
  return labels;
}

export function checkText(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag}: must not be empty`);
  return value;
}

/** parseArgs values, read by type: commands share one loose options shape. */
export type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export function stringOf(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringsOf(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function required(values: Values, name: string, command: string): string {
  const value = stringOf(values, name);
  if (value === undefined) throw new UsageError(`agents ${command}: --${name} is required`);
  return value;
}

/** One positional argument, named in the error if missing. */
export function positional(
  positionals: readonly string[],
  index: number,
  name: string,
  command: string,
): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`agents ${command}: missing the ${name}`);
  return value;
}
