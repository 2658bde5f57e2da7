import type { ApprovalReader } from '../approvals/approval-reader.js';
import type { AgentPrincipal } from '../credentials/principal.js';

/** How a held call's wait for its human ended. */
export type HoldEnd =
  | { readonly kind: 'approved' }
  /** Denied, expired, or cancelled (the agent was killed or suspended while it waited). */
  | { readonly kind: 'refused'; readonly status: string; readonly comment: string | null }
  /** The hold ran out (or the client went away) with the request still waiting. */
  | { readonly kind: 'pending' };

export interface HoldOptions {
  readonly holdMs: number;
  /** A tick this often while waiting (progress notifications keep clients from timing out). */
  readonly tickMs: number;
  readonly signal?: AbortSignal;
  readonly onTick?: (elapsedMs: number) => void;
  readonly clock?: () => number;
}

/**
 * Holds a call whose rule wants a human first: waits on the request (on any node its decision comes
 * from, through the approval watch) for at most `holdMs`, ticking every `tickMs`. The request stays
 * open when the hold ends: a human can still decide it, and the agent's retry then uses it.
 */
export async function holdForApproval(
  reader: ApprovalReader,
  principal: AgentPrincipal,
  approvalId: string,
  options: HoldOptions,
): Promise<HoldEnd> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const until = started + options.holdMs;
  for (;;) {
    const remaining = until - clock();
    const slice = Math.max(0, Math.min(remaining, options.tickMs));
    const { request } = await reader.wait(principal, approvalId, slice / 1_000, options.signal);
    if (request.status === 'approved') return { kind: 'approved' };
    if (request.status !== 'pending')
      return { kind: 'refused', status: request.status, comment: request.comment };
    if (options.signal?.aborted || clock() >= until) return { kind: 'pending' };
    options.onTick?.(clock() - started);
  }
}
