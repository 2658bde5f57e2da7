import type { Approver } from '../model.js';
import { type FieldChecker, isPlainObject } from './field-checker.js';
import type { YamlPath } from './yaml-file.js';

export const APPROVER_HINT = 'expected group:<name>, user:<name>, initiator, or {initiator: {reauth: true}}';

/**
 * An approver written as a string: `group:<name>`, `user:<name>`, `initiator`, or
 * `initiator+reauth` (the short form of `{initiator: {reauth: true}}`, as messages print it).
 */
export function parseApprover(text: string): Approver | undefined {
  if (text === 'initiator') return { kind: 'initiator' };
  if (text === 'initiator+reauth') return { kind: 'initiator', reauth: true };
  const match = /^(group|user):(.+)$/.exec(text);
  const name = match?.[2]?.trim();
  if (!match || !name) return undefined;
  return { kind: match[1] as 'group' | 'user', name };
}

/**
 * One approver entry of a list: a string, or the mapping form that asks the initiator to
 * re-authenticate before approving (`initiator: {reauth: true}`). Only the initiator takes options:
 * a group or a named human approves as who they are.
 */
export function readApproverEntry(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
): Approver | undefined {
  if (typeof value === 'string') {
    const approver = parseApprover(value);
    if (!approver) checker.error(path, `${APPROVER_HINT}, got ${JSON.stringify(value)}`);
    return approver;
  }
  if (!isPlainObject(value)) {
    checker.error(path, `${APPROVER_HINT}, got ${value === null ? 'null' : typeof value}`);
    return undefined;
  }
  if (!('initiator' in value)) {
    const keys = Object.keys(value).join(', ') || 'nothing';
    checker.error(path, `${APPROVER_HINT}, got a mapping of ${keys}; only the initiator takes options`);
    return undefined;
  }
  const raw = checker.object(path, value, ['initiator']);
  if (!raw) return undefined;
  const options = checker.object([...path, 'initiator'], raw.initiator, ['reauth']);
  if (!options) return undefined;
  if (options.reauth === undefined) {
    checker.error([...path, 'initiator', 'reauth'], 'is required: true asks for a fresh proof of identity');
    return undefined;
  }
  if (typeof options.reauth !== 'boolean') {
    checker.error(
      [...path, 'initiator', 'reauth'],
      `expected true or false, got ${JSON.stringify(options.reauth)}`,
    );
    return undefined;
  }
  return options.reauth ? { kind: 'initiator', reauth: true } : { kind: 'initiator' };
}

/**
 * An approver as tests, lint and the approval view write it: `group:leads`, `user:bob`,
 * `initiator`, or `initiator+reauth`. Unlike `approverKey` (who counts as the same person), it
 * tells a re-authenticating initiator from a plain one.
 */
export function approverLabel(approver: Approver): string {
  if (approver.kind === 'initiator') return approver.reauth ? 'initiator+reauth' : 'initiator';
  return `${approver.kind}:${approver.name}`;
}
