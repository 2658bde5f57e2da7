import { checkSignals, type PolicyBundle } from '@warden/policy';
import { invalidField } from '../errors.js';
import type { DecideContext } from './decide-request.js';

/**
 * The signals a call reports, checked against those the tenant's policy declares: an undeclared
 * signal, a value of the wrong type or too long, too many signals, are the caller's mistake (a `400`
 * naming the field), thrown before anything is decided or written, never read as a default.
 * Without a policy there is nothing to check against; the call is denied `no_policy` anyway.
 */
export function checkCallSignals(bundle: PolicyBundle | undefined, context: DecideContext): void {
  if (!bundle || context.signals === undefined) return;
  const problem = checkSignals(bundle.signals, context.signals);
  if (!problem) return;
  throw invalidField(
    problem.signal ? `body.context.signals.${problem.signal}` : 'body.context.signals',
    problem.message,
  );
}
