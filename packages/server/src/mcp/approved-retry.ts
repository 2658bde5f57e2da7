import type { JsonObject } from '@warden/policy';
import { digest } from '../decisions/call-args.js';
import { compiledQuery } from '../storage/compiled-query.js';
import type { Storage } from '../storage/database.js';

/** How far back a retry looks for the approval of its call: the longest an approval may wait. */
const LOOKBACK_MS = 31 * 24 * 3_600_000;

/**
 * The approval a retried gateway call may use: an approved, unused, unexpired pre-mode request of
 * this agent for exactly this tool and these arguments (by digest). A model retries a held call by
 * calling the tool again, not by naming an approval, so the gateway finds it; the decide path then
 * checks and consumes it in the decision's transaction as for any call naming one, so it runs once.
 */
export async function approvedRetry(
  storage: Storage,
  call: { tenantId: string; agentId: string; tool: string; args: JsonObject; now: number },
): Promise<string | undefined> {
  const { rows } = await selectApproved(storage.db, storage.dialect, {
    tenantId: call.tenantId,
    agentId: call.agentId,
    since: call.now - LOOKBACK_MS,
    digest: digest({ tool: call.tool, args: call.args }),
    now: call.now,
  });
  return rows[0]?.id;
}

// Every gateway call runs it: compiled once (see compiledQuery).
const selectApproved = compiledQuery((db, param) =>
  db
    .selectFrom('approval_requests')
    .select('id')
    .where('tenant_id', '=', param('tenantId'))
    .where('agent_id', '=', param('agentId'))
    .where('created_at', '>=', param('since'))
    .where('kind', '=', 'action')
    .where('mode', '=', 'pre')
    .where('status', '=', 'approved')
    .where('consumed_at', 'is', null)
    .where('action_digest', '=', param('digest'))
    .where((eb) => eb.or([eb('grant_expires_at', 'is', null), eb('grant_expires_at', '>', param('now'))]))
    .orderBy('created_at')
    .limit(1),
);
