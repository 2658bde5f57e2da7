import type { JsonObject } from '@warden/policy';
import { WardenError } from '../errors.js';
import type { Trx } from '../storage/database.js';
import { consumeProof, type ProofBinding } from './reauth-proofs.js';

/**
 * What a vote brings to show that the human proved who they are just now. Each proof source reads
 * the part it understands.
 */
export interface VoteEvidence {
  /** A proof minted by `POST /v1/approvals/:id/reauth` (`wdn_r_…`). */
  readonly reauthProof?: string;
}

/** A source vouches for the human's fresh identity, or says why not; null when the evidence has nothing for it. */
export type SourceVerdict =
  | { readonly ok: true; readonly source: string; readonly detail: JsonObject }
  | { readonly ok: false; readonly reason: string }
  | null;

/**
 * One way a human can prove, for one approval, that they are present and who they say they are.
 * Runs in the vote's transaction, so a single-use proof is used up exactly when the vote commits.
 */
export interface FreshIdentitySource {
  readonly name: string;
  check(trx: Trx, evidence: VoteEvidence, binding: ProofBinding, now: number): Promise<SourceVerdict>;
}

/** Proofs minted by presenting the human's re-authentication secret again (`warden approvals approve --reauth`). */
export class MintedProofSource implements FreshIdentitySource {
  readonly name = 'reauth_proof';

  async check(trx: Trx, evidence: VoteEvidence, binding: ProofBinding, now: number): Promise<SourceVerdict> {
    if (evidence.reauthProof === undefined) return null;
    const result = await consumeProof(trx, binding, evidence.reauthProof, now);
    if (!result.ok) return result;
    return {
      ok: true,
      source: result.source,
      detail: { proofId: result.id, mintedAt: new Date(result.mintedAt).toISOString() },
    };
  }
}

/** How a refusal tells the human what to do. */
const HOW =
  'run `warden approvals approve <id> --reauth` (it asks for your re-authentication secret), or call ' +
  'POST /v1/approvals/:id/reauth with {"secret"} and approve with {"reauthProof"} within a few minutes';

/**
 * The gate a step asking the initiator to re-authenticate puts on their approval: the first source
 * that vouches wins; none, or a refusal, is `403 reauth_required` saying why and how.
 */
export class FreshIdentityGate {
  constructor(private readonly sources: readonly FreshIdentitySource[]) {}

  async require(
    trx: Trx,
    evidence: VoteEvidence,
    binding: ProofBinding,
    now: number,
  ): Promise<{ source: string; detail: JsonObject }> {
    const refusals: string[] = [];
    for (const source of this.sources) {
      const verdict = await source.check(trx, evidence, binding, now);
      if (verdict?.ok) return { source: verdict.source, detail: verdict.detail };
      if (verdict) refusals.push(verdict.reason);
    }
    const why =
      refusals.length > 0 ? refusals.join('; ') : 'no fresh proof of identity came with this approval';
    throw new WardenError(
      'reauth_required',
      `this step asks you, the initiator, to re-authenticate before approving ${binding.approvalId}: ${why}. To approve, ${HOW.replace('<id>', binding.approvalId)}`,
      { approvalId: binding.approvalId },
    );
  }
}
