import type { JsonObject } from '@warden/policy';
import { digest } from '../decisions/call-args.js';
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
  const row = await storage.db
    .selectFrom('approval_requests')
    .select('id')
    .where('tenant_id', '=', call.tenantId)
    .where('agent_id', '=', call.agentId)
    .where('created_at', '>=', call.now - LOOKBACK_MS)
    .where('kind', '=', 'action')
    .where('mode', '=', 'pre')
    .where('status', '=', 'approved')
    .where('consumed_at', 'is', null)
    .where('action_digest', '=', digest({ tool: call.tool, args: call.args }))
    .where((eb) => eb.or([eb('grant_expires_at', 'is', null), eb('grant_expires_at', '>', call.now)]))
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}
