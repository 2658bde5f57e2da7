import type { Connection } from '../http-client.js';
import { UsageError } from '../io.js';
import { checkText, stringOf, type Values } from './agents-args.js';
import type { CheckedCommand } from './subcommand.js';

export type ApprovalsCommand = CheckedCommand<Connection>;

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export const APPROVAL_KINDS = ['action', 'access', 'registration', 'promotion'] as const;

/** The server's own limit on a vote's comment; checked here so a long one is a usage error. */
const MAX_COMMENT = 2000;

/** The approval id, first positional: `apr_` then 26 lower-case Crockford base32 characters. */
export function approvalId(positionals: readonly string[], command: string): string {
  const value = positionals[0];
  if (value === undefined) throw new UsageError(`approvals ${command}: missing the approval id (apr_…)`);
  if (!/^apr_[0-9a-hjkmnp-tv-z]{26}$/.test(value))
    throw new UsageError(`approval id: expected apr_ followed by 26 characters, got "${value}"`);
  return value;
}

export function commentOf(values: Values): string | undefined {
  const comment = stringOf(values, 'comment');
  if (comment === undefined) return undefined;
  checkText('--comment', comment);
  if (comment.length > MAX_COMMENT)
    throw new UsageError(`--comment: at most ${MAX_COMMENT} characters, got ${comment.length}`);
  return comment;
}
