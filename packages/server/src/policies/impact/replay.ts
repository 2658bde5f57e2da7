import { decide, type JsonObject, type JsonValue, type PolicyBundle } from '@warden/policy';
import { SHREDDED } from '../../audit/sealing/payload-sealer.js';
import { replayInput, type StoredPolicyInput } from '../../decisions/policy-input.js';
import type { Storage } from '../../storage/database.js';
import { ImpactCollector, type ImpactReport } from './impact-report.js';

export interface ReplayWindow {
  readonly tenantId: string;
  readonly since: number;
  readonly until: number;
  /** Only these agents' decisions; all agents when absent. */
  readonly agentIds?: readonly string[];
}

/** Opens sealed data-subject values of stored arguments (or says SHREDDED when their key is gone). */
export interface SubjectOpener {
  openSubjects(tenantId: string, value: JsonValue): Promise<JsonValue>;
}

const PAGE = 5_000;
const REDACTED_MARK = '[REDACTED:';
const SEALED_MARK = '"$sealed"';
const REJECTED_MARK = '"$rejected"';

/**
 * Asks `candidate` every question the policy answered in the window, with the inputs kept on each
 * decision row (policy_input, tool, arguments as stored), and compares with the answer recorded then.
 * Arguments that were redacted before storage are counted apart, never replayed with a guess; so are
 * decisions without a kept input. Reads the window a page at a time in (created_at, id) order.
 */
export async function replayDecisions(
  storage: Storage,
  subjects: SubjectOpener,
  candidate: PolicyBundle,
  window: ReplayWindow,
): Promise<ImpactReport> {
  const collector = new ImpactCollector();
  let after: { at: number; id: string } | undefined;
  for (;;) {
    let query = storage.db
      .selectFrom('decisions')
      .select(['id', 'agent_id', 'tool', 'args', 'policy_input', 'created_at'])
      .where('tenant_id', '=', window.tenantId)
      .where('created_at', '<', window.until);
    if (window.agentIds) query = query.where('agent_id', 'in', [...window.agentIds]);
    // The lower bound is either the window's start or, after the first page, the last row read, as
    // a row-value comparison: given both, SQLite seeks the index by the start and would scan every
    // earlier page again for each new one.
    if (after) {
      const { at, id } = after;
      query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(at, id)));
    } else {
      query = query.where('created_at', '>=', window.since);
    }
    const rows = await query.orderBy('created_at').orderBy('id').limit(PAGE).execute();
    for (const row of rows) {
      const at = Number(row.created_at);
      if (row.policy_input === null) {
        collector.skippedNoInput();
        continue;
      }
      if (row.args.includes(REJECTED_MARK)) {
        collector.skippedRejected();
        continue;
      }
      if (row.args.includes(REDACTED_MARK)) {
        collector.skippedRedacted({ decisionId: row.id, at });
        continue;
      }
      let args = JSON.parse(row.args) as JsonObject;
      if (row.args.includes(SEALED_MARK)) {
        const opened = JSON.stringify(await subjects.openSubjects(window.tenantId, args));
        if (opened.includes(JSON.stringify(SHREDDED))) {
          collector.skippedRedacted({ decisionId: row.id, at });
          continue;
        }
        args = JSON.parse(opened) as JsonObject;
      }
      const stored = JSON.parse(row.policy_input) as StoredPolicyInput;
      const answer = decide(candidate, replayInput(stored, row.tool, args));
      collector.replayedRow(
        { agentId: row.agent_id, tool: row.tool, decisionId: row.id, at },
        { effect: stored.verdict.effect, rule: stored.verdict.rule },
        { effect: answer.effect, rule: answer.decidingRule },
      );
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) break;
    after = { at: Number(last.created_at), id: last.id };
  }
  return collector.report(
    { since: window.since, until: window.until, agents: window.agentIds ? [...window.agentIds] : null },
    candidate.version,
  );
}
