import type { JsonObject } from '@warden/policy';
import { compiledQuery } from '../storage/compiled-query.js';
import type { Storage } from '../storage/database.js';
import { digest } from './call-args.js';

/** How far back a retry looks for the approval of its call: the longest an approval may wait. */
const LOOKBACK_MS = 31 * 24 * 3_600_000;

/** An approval request this exact call already has: approved and unused, or still waiting. */
export interface EarlierRequest {
  readonly id: string;
  readonly status: 'approved' | 'pending';
}

/**
 * The approval request a repeated call (through the MCP gateway or the LLM proxy) already has: a
 * pre-mode request of this agent for
 * exactly this tool and these arguments (by digest), approved and unused (the decide path then
 * checks and consumes it in the decision's transaction, so the call runs once), or else one still
 * waiting for a human (the call waits on it instead of asking the approvers a second time). A model
 * repeats a call by calling the tool again, and a client by sending the request again, not by
 * naming an approval, so Warden finds it.
 */
export async function earlierRequest(
  storage: Storage,
  call: { tenantId: string; agentId: string; tool: string; args: JsonObject; now: number },
): Promise<EarlierRequest | undefined> {
  const { rows } = await selectEarlier(storage.db, storage.dialect, {
    tenantId: call.tenantId,
    agentId: call.agentId,
    since: call.now - LOOKBACK_MS,
    digest: digest({ tool: call.tool, args: call.args }),
    now: call.now,
  });
  const approved = rows.find((r) => r.status === 'approved');
  const pending = rows.find((r) => r.status === 'pending');
  const found = approved ?? pending;
  return found ? { id: found.id, status: found.status as EarlierRequest['status'] } : undefined;
}

// Every gateway and proxy call runs it: compiled once (see compiledQuery).
const selectEarlier = compiledQuery((db, param) =>
  db
    .selectFrom('approval_requests')
    .select(['id', 'status'])
    .where('tenant_id', '=', param('tenantId'))
    .where('agent_id', '=', param('agentId'))
    .where('created_at', '>=', param('since'))
    .where('kind', '=', 'action')
    .where('mode', '=', 'pre')
    .where('action_digest', '=', param('digest'))
    .where((eb) =>
      eb.or([
        eb('status', '=', 'pending'),
        eb.and([
          eb('status', '=', 'approved'),
          eb('consumed_at', 'is', null),
          eb.or([eb('grant_expires_at', 'is', null), eb('grant_expires_at', '>', param('now'))]),
        ]),
      ]),
    )
    .orderBy('created_at')
    .limit(10),
);
