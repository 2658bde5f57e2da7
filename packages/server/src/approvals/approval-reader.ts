import type { AgentPrincipal, HumanPrincipal } from '../credentials/principal.js';
import { notFound } from '../errors.js';
import type { Storage } from '../storage/database.js';
import type { ApprovalRequest } from './approval.js';
import {
  type ApprovalFilter,
  findApproval,
  listApprovals,
  type Reader,
  votesOf,
  votesOfMany,
} from './approval-store.js';
import { type ApprovalView, canSee, viewOf } from './approval-view.js';
import type { ApprovalWatch } from './approval-watch.js';
import { Directory } from './directory.js';
import type { RoutingOptions } from './stage-routing.js';

export const MAX_WAIT_SECONDS = 60;

/** Reading requests: one, a page, and waiting for one to be decided. */
export class ApprovalReader {
  constructor(
    private readonly storage: Storage,
    private readonly watch: ApprovalWatch,
    private readonly options: RoutingOptions,
  ) {}

  /** A request the human may see; 404 otherwise (another tenant's, or not theirs to see). */
  async get(principal: HumanPrincipal, id: string): Promise<ApprovalView> {
    const db = this.storage.db;
    const request = await findApproval(db, principal.tenantId, id);
    if (!request) throw notFound('approval request', id);
    const directory = await Directory.load(db, principal.tenantId);
    const view = viewOf(request, await votesOf(db, principal.tenantId, id), directory, this.options);
    if (!canSee(principal, view, await this.ownerOf(request))) throw notFound('approval request', id);
    return view;
  }

  /** Newest first; `mine` keeps the requests waiting for this human's decision. */
  async list(
    principal: HumanPrincipal,
    filter: ApprovalFilter & { readonly mine?: boolean },
  ): Promise<{ items: ApprovalView[]; nextCursor: string | null }> {
    const db = this.storage.db;
    const directory = await Directory.load(db, principal.tenantId);
    const items: ApprovalView[] = [];
    let cursor = filter.cursor;
    const batch = Math.max(filter.limit * 2, 50);
    const owners = new Map<string, string | undefined>();
    for (;;) {
      const rows = await listApprovals(
        db,
        principal.tenantId,
        { ...filter, ...(cursor ? { cursor } : {}) },
        batch,
      );
      // The batch's votes and its agents' owners in one query each, not one per request.
      const [votes, batchOwners] = await Promise.all([
        votesOfMany(
          db,
          principal.tenantId,
          rows.map((r) => r.id),
        ),
        ownersOf(
          db,
          principal.tenantId,
          [...new Set(rows.map((r) => r.agentId))].filter((id) => !owners.has(id)),
        ),
      ]);
      for (const [agentId, ownerId] of batchOwners) owners.set(agentId, ownerId);
      for (const request of rows) {
        const view = viewOf(request, votes.get(request.id) ?? [], directory, this.options);
        if (filter.mine && !view.eligible.includes(principal.humanId)) continue;
        if (!canSee(principal, view, owners.get(request.agentId))) continue;
        items.push(view);
        if (items.length > filter.limit) break;
      }
      if (items.length > filter.limit || rows.length < batch) break;
      cursor = rows[rows.length - 1]?.id;
    }
    const page = items.slice(0, filter.limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > filter.limit && last ? last.request.id : null };
  }

  /** The agent's own request; another agent's is not found. */
  async forAgent(principal: AgentPrincipal, id: string): Promise<ApprovalRequest> {
    const request = await findApproval(this.storage.db, principal.tenantId, id);
    if (!request || request.agentId !== principal.agentId) throw notFound('approval request', id);
    return request;
  }

  /**
   * Long-poll: answers as soon as the request is settled, or after `timeoutSeconds` with its
   * current state. The watch is armed before the read, so a decision in between is not missed.
   */
  async wait(
    principal: AgentPrincipal,
    id: string,
    timeoutSeconds: number,
    abort?: AbortSignal,
  ): Promise<{ request: ApprovalRequest; timedOut: boolean }> {
    const until = Date.now() + Math.min(timeoutSeconds, MAX_WAIT_SECONDS) * 1000;
    for (;;) {
      const remaining = until - Date.now();
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      abort?.addEventListener('abort', onAbort, { once: true });
      const changed = this.watch.next(id, Math.max(remaining, 0), controller.signal);
      const request = await this.forAgent(principal, id);
      if (request.status !== 'pending' || remaining <= 0 || abort?.aborted) {
        controller.abort();
        abort?.removeEventListener('abort', onAbort);
        return { request, timedOut: request.status === 'pending' };
      }
      await changed;
      abort?.removeEventListener('abort', onAbort);
    }
  }

  private async ownerOf(request: ApprovalRequest): Promise<string | undefined> {
    return (await ownersOf(this.storage.db, request.tenantId, [request.agentId])).get(request.agentId);
  }
}

/** The owners of agents, by agent id (an agent not found has none). */
async function ownersOf(
  db: Reader,
  tenantId: string,
  agentIds: readonly string[],
): Promise<Map<string, string>> {
  if (agentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('agents')
    .select(['id', 'owner_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...agentIds])
    .execute();
  return new Map(rows.map((r) => [r.id, r.owner_id]));
}
