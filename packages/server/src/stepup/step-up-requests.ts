import type { JsonObject } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { ApprovalRequest } from '../approvals/approval.js';
import type { StageListener } from '../approvals/approval-service.js';
import { Directory } from '../approvals/directory.js';
import { currentStage, eligibleFor, type RoutingOptions } from '../approvals/stage-routing.js';
import { WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { publicFetch } from '../net/public-network.js';
import type { Storage, Trx } from '../storage/database.js';
import { WARDEN_VERSION } from '../version.js';
import { STEP_UP_SIGNATURE_HEADER, signStepUp, verifyStepUp } from './hook-signature.js';
import type { StepUpHook, StepUpHooks } from './step-up-hooks.js';

/** The product's signed answer, as it arrives on `POST /v1/step-up/callback`. */
export interface StepUpConfirmation {
  readonly requestId: string;
  readonly approvalId: string;
  readonly subject: string;
  readonly actionDigest: string | null;
  readonly verdict: 'approve' | 'deny';
  readonly comment?: string;
}

/** A confirmation that passed every check: what the vote needs. */
export interface VerifiedConfirmation {
  readonly tenantId: string;
  readonly approvalId: string;
  readonly stage: number;
  readonly subject: string;
  readonly requestId: string;
}

export interface StepUpRequestDeps {
  readonly storage: Storage;
  readonly hooks: StepUpHooks;
  readonly routing: RoutingOptions & { readonly publicUrl: string };
  /** How long the product has to confirm (capped by the request's deadline). */
  readonly ttlSeconds: number;
  readonly publicOnly: boolean;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
  /** Delay before the second delivery attempt; doubled for the third. */
  readonly retryBaseMs: number;
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 10_000;

/**
 * The step-up hook's two halves. When a request enters a step that only an initiator who is not a
 * Warden user can decide, Warden sends the tenant's product a signed re-authentication request
 * (who, which approval, which action digest, until when) and records it; the product signs its
 * user in again and answers with a signed confirmation, which is checked here (signature, time
 * window, binding to the request it answers) and used up in the vote's own transaction.
 */
export class StepUpRequests implements StageListener {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: StepUpRequestDeps) {}

  /** Sends the hook request if this stage needs one; the node waits for sends in flight when it closes. */
  stageEntered(request: ApprovalRequest): Promise<void> {
    const send = this.send(request);
    const tracked = send.catch(() => {}).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return send;
  }

  /** Resolves once every send in flight has finished (delivered, or given up). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async send(request: ApprovalRequest): Promise<void> {
    const { storage, clock } = this.deps;
    const directory = await Directory.load(storage.db, request.tenantId);
    const { stepUp: subject } = eligibleFor(request, directory, this.deps.routing);
    if (!subject) return;
    const hook = await this.deps.hooks.hook(request.tenantId);
    if (!hook) return;
    const now = clock();
    const id = newId('sur', now);
    const expiresAt = Math.min(now + this.deps.ttlSeconds * 1000, request.deadlineAt);
    await storage.db
      .insertInto('step_up_requests')
      .values({
        tenant_id: request.tenantId,
        id,
        approval_id: request.id,
        stage: request.stage,
        subject,
        action_digest: request.actionDigest,
        created_at: now,
        expires_at: expiresAt,
        delivered_at: null,
        last_error: null,
        used_at: null,
      })
      .execute();
    const body = JSON.stringify(this.requestBody(request, id, subject, expiresAt));
    const failure = await this.deliver(hook, body, id);
    await storage.db
      .updateTable('step_up_requests')
      .set(failure ? { last_error: failure } : { delivered_at: clock(), last_error: null })
      .where('id', '=', id)
      .execute();
    if (failure) {
      this.deps.log.warn(
        { approvalId: request.id, stepUpRequest: id, error: failure },
        'the step-up hook did not take the re-authentication request',
      );
    }
  }

  private requestBody(request: ApprovalRequest, id: string, subject: string, expiresAt: number): JsonObject {
    const action = request.context.action;
    return {
      type: 'warden.step_up.request',
      requestId: id,
      tenantId: request.tenantId,
      approvalId: request.id,
      step: currentStage(request).name,
      subject,
      tool: request.tool,
      // The arguments as stored (redacted, subject fields sealed), so the product can show what is confirmed.
      args: action && typeof action === 'object' && !Array.isArray(action) ? (action.args ?? null) : null,
      actionDigest: request.actionDigest,
      expiresAt: new Date(expiresAt).toISOString(),
      callbackUrl: `${this.deps.routing.publicUrl}/v1/step-up/callback`,
    };
  }

  /** POSTs the signed request, up to three attempts; null when the product took it, else the last reason. */
  private async deliver(hook: StepUpHook, body: string, id: string): Promise<string | null> {
    const send = this.deps.publicOnly ? publicFetch : fetch;
    let failure: string | null = null;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(this.deps.retryBaseMs * 2 ** (attempt - 2));
      try {
        const response = await send(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': `Warden/${WARDEN_VERSION}`,
            [STEP_UP_SIGNATURE_HEADER]: signStepUp(hook.secret, body, Math.floor(this.deps.clock() / 1000)),
            'warden-delivery': id,
            'warden-attempt': String(attempt),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        await response.body?.cancel().catch(() => {});
        if (response.status >= 200 && response.status < 300) return null;
        failure = `HTTP ${response.status}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    return failure;
  }

  /**
   * Checks a confirmation before any vote: the request it names exists and is unexpired, the
   * signature is the tenant's hook secret over this exact body and recent, and it names the same
   * approval, person and action digest. Every refusal is `unauthenticated` or a 4xx that says why;
   * nothing is written. Single use is enforced by `use`, in the vote's transaction.
   */
  async verify(
    rawBody: string,
    signature: string | undefined,
    confirmation: StepUpConfirmation,
  ): Promise<VerifiedConfirmation> {
    const now = this.deps.clock();
    const row = await this.deps.storage.db
      .selectFrom('step_up_requests')
      .selectAll()
      .where('id', '=', confirmation.requestId)
      .executeTakeFirst();
    // One answer for "no such request" and "bad signature": the route tells a stranger nothing.
    const hook = row ? await this.deps.hooks.hook(row.tenant_id) : null;
    const check = hook ? verifyStepUp(hook.secret, rawBody, signature, now) : null;
    if (!row || !check?.ok) {
      throw new WardenError(
        'unauthenticated',
        `the confirmation is not signed by a step-up hook waiting for it: ${check && !check.ok ? check.reason : 'unknown request or no hook'}`,
      );
    }
    if (row.approval_id !== confirmation.approvalId) {
      throw new WardenError(
        'invalid_request',
        `body.approvalId: ${confirmation.requestId} was sent for another approval`,
        {
          field: 'body.approvalId',
        },
      );
    }
    if (row.subject !== confirmation.subject) {
      throw new WardenError(
        'invalid_request',
        `body.subject: ${confirmation.requestId} was sent for someone else`,
        {
          field: 'body.subject',
        },
      );
    }
    if (row.action_digest !== confirmation.actionDigest) {
      throw new WardenError(
        'invalid_request',
        'body.actionDigest: does not match the action the request was sent for',
        {
          field: 'body.actionDigest',
        },
      );
    }
    if (row.used_at !== null)
      throw new WardenError('conflict', `${confirmation.requestId} was already answered`);
    if (row.expires_at <= now) {
      throw new WardenError(
        'conflict',
        `${confirmation.requestId} expired at ${new Date(row.expires_at).toISOString()}`,
      );
    }
    return {
      tenantId: row.tenant_id,
      approvalId: row.approval_id,
      stage: row.stage,
      subject: row.subject,
      requestId: row.id,
    };
  }

  /** Uses the request up in the vote's transaction; a second answer (a replay, a race) is a conflict. */
  async use(trx: Trx, requestId: string, now: number): Promise<void> {
    const result = await trx
      .updateTable('step_up_requests')
      .set({ used_at: now })
      .where('id', '=', requestId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new WardenError('conflict', `${requestId} was already answered or has expired`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
