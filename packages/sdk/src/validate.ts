import { WardenInputError } from './errors.js';

/** A JSON object, as Warden stores a call's arguments. */
export type JsonObject = { [key: string]: unknown };

const TASK_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PREFIXED_ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`);
const APPROVAL_ID = PREFIXED_ID('apr');
const DECISION_ID = PREFIXED_ID('dec');
const AGENT_ID = PREFIXED_ID('agt');
const GRANT_ID = PREFIXED_ID('dlg');
// The server's limits for arguments: deeper or larger is denied as `invalid_input` (decide.md).
const MAX_DEPTH = 32;
const MAX_VALUES = 100_000;

export function toolName(value: unknown, field = 'tool'): string {
  if (typeof value !== 'string') throw new WardenInputError(field, 'must be a string');
  if (value.length === 0 || value.length > 256)
    throw new WardenInputError(field, 'must be 1 to 256 characters');
  if (hasControlCharacter(value)) throw new WardenInputError(field, 'must not contain control characters');
  if (value.trim() !== value) throw new WardenInputError(field, 'must not start or end with spaces');
  return value;
}

export function approvalId(value: unknown, field = 'approvalId'): string {
  if (typeof value !== 'string' || !APPROVAL_ID.test(value)) {
    throw new WardenInputError(field, 'must be an approval id (apr_…)');
  }
  return value;
}

export function decisionId(value: unknown, field = 'decisionId'): string {
  if (typeof value !== 'string' || !DECISION_ID.test(value)) {
    throw new WardenInputError(field, 'must be a decision id (dec_…)');
  }
  return value;
}

export function taskId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !TASK_ID.test(value)) {
    throw new WardenInputError(field, 'must be 1 to 128 letters, digits or ._:-');
  }
  return value;
}

export function text(value: unknown, field: string, max: number, min = 1): string {
  if (typeof value !== 'string') throw new WardenInputError(field, 'must be a string');
  if (value.length < min || value.length > max) {
    throw new WardenInputError(field, `must be ${min} to ${max} characters`);
  }
  return value;
}

// The server's limits for agent signals (policy-language.md, "Agent signals"); whether a signal is
// declared, and of which type, only the tenant's policy knows: the server answers 400 otherwise.
const SIGNAL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_SIGNALS = 32;
const MAX_SIGNAL_STRING = 256;

export function signals(value: unknown, field: string): Record<string, number | boolean | string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new WardenInputError(field, 'must be an object of numbers, booleans or strings');
  const entries = Object.entries(value);
  if (entries.length > MAX_SIGNALS)
    throw new WardenInputError(field, `must hold at most ${MAX_SIGNALS} signals`);
  for (const [name, item] of entries) {
    const at = `${field}.${name}`;
    if (!SIGNAL_NAME.test(name)) throw new WardenInputError(at, 'must be named with letters, digits and _');
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) throw new WardenInputError(at, 'must be a finite number');
    } else if (typeof item === 'string') {
      if (item.length > MAX_SIGNAL_STRING)
        throw new WardenInputError(at, `must be at most ${MAX_SIGNAL_STRING} characters`);
    } else if (typeof item !== 'boolean')
      throw new WardenInputError(at, 'must be a number, a boolean or a string');
  }
  return value as Record<string, number | boolean | string>;
}

export function agentId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !AGENT_ID.test(value))
    throw new WardenInputError(field, 'must be an agent id (agt_…)');
  return value;
}

export function grantId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !GRANT_ID.test(value)) {
    throw new WardenInputError(field, 'must be a delegation grant id (dlg_…)');
  }
  return value;
}

/** A number in [min, max]; `integer` when counts are meant. */
export function amount(value: unknown, field: string, max: number, integer = false, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new WardenInputError(field, 'must be a finite number');
  if (integer && !Number.isInteger(value)) throw new WardenInputError(field, 'must be an integer');
  if (value < min || value > max) throw new WardenInputError(field, `must be between ${min} and ${max}`);
  return value;
}

/**
 * Checks that `value` is a plain JSON object that survives `JSON.stringify` unchanged: no functions,
 * symbols, bigints, non-finite numbers, `undefined` in arrays, cycles or class instances (a Date is
 * refused too: pass its ISO string). The server would otherwise see something other than what the
 * caller meant, and an approval is bound to the exact arguments.
 */
export function jsonObject(value: unknown, field: string): JsonObject {
  if (!isPlainObject(value)) throw new WardenInputError(field, 'must be a plain JSON object');
  let count = 0;
  const seen = new Set<object>();
  const walk = (v: unknown, path: string, depth: number): void => {
    if (++count > MAX_VALUES) throw new WardenInputError(field, `must hold at most ${MAX_VALUES} values`);
    if (depth > MAX_DEPTH) throw new WardenInputError(path, `is nested deeper than ${MAX_DEPTH} levels`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v))
        throw new WardenInputError(path, 'must be a finite number (JSON has no NaN or Infinity)');
      return;
    }
    if (typeof v !== 'object') throw new WardenInputError(path, `is a ${typeof v}, which JSON cannot hold`);
    if (seen.has(v)) throw new WardenInputError(path, 'is a circular reference');
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (item === undefined)
          throw new WardenInputError(`${path}[${i}]`, 'is undefined, which JSON cannot hold');
        walk(item, `${path}[${i}]`, depth + 1);
      });
    } else if (isPlainObject(v)) {
      for (const [key, item] of Object.entries(v)) {
        if (item !== undefined) walk(item, `${path}.${key}`, depth + 1);
      }
    } else {
      throw new WardenInputError(
        path,
        `is a ${v.constructor?.name ?? 'non-plain'} object; pass plain JSON values`,
      );
    }
    seen.delete(v);
  };
  walk(value, field, 0);
  return value;
}

export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
