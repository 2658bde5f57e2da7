import { canonicalJson } from '@warden/policy';
import { columnsOf, type EventColumns, type StoredEvent } from '../stored-event.js';
import { storedEventProblem } from './event-shape.js';
import { bodyLeafHash } from './leaf-hash.js';
import type { Findings } from './report.js';

export type RowColumns = Omit<EventColumns, 'tenant_id'>;

/** One leaf of the log as a source holds it. */
export interface VerifiableEvent {
  /** Where the source has the event: the row's seq, or its position in an export. */
  readonly seq: number;
  /** The leaf data: RFC 8785 canonical JSON of the stored event. */
  readonly body: string;
  /** Set when the source built `body` as canonicalJson(parsed) itself (an export): nothing to re-check. */
  readonly parsed?: unknown;
  /** The stored leaf hash (base64), when the source keeps one. */
  readonly leafHash?: string;
  /** The row's query columns, when the source has them (the tenant is the one the source was read for). */
  readonly columns?: RowColumns;
  /** The event's MAC (base64), when the source keeps them (a database). */
  readonly mac?: string | null;
}

/**
 * Checks one event against itself and its place in the log, and returns the leaf hash the signed
 * checkpoints commit to: the hash of the body, whatever the stored hash says.
 */
export function checkEvent(event: VerifiableEvent, tenantId: string, findings: Findings): Buffer {
  const { seq, body } = event;
  const stored = parseStoredEvent(event, findings);
  if (stored) {
    if (stored.seq !== seq) {
      findings.add({
        code: 'sequence_mismatch',
        seq,
        message: `the event at seq ${seq} is signed as seq ${stored.seq} (events moved or swapped)`,
      });
    }
    if (stored.tenant !== tenantId) {
      findings.add({
        code: 'tenant_mismatch',
        seq,
        message: `the event at seq ${seq} belongs to tenant ${stored.tenant}, not ${tenantId}`,
      });
    }
  }
  const leaf = bodyLeafHash(body);
  if (event.leafHash !== undefined && event.leafHash !== leaf.toString('base64')) {
    findings.add({
      code: 'leaf_mismatch',
      seq,
      message: `the stored leaf hash of seq ${seq} is not the hash of its body (the body or the hash was changed)`,
    });
  }
  if (stored && event.columns) {
    const changed = changedColumns(columnsOf(stored), event.columns);
    if (changed.length > 0) {
      findings.add({
        code: 'column_mismatch',
        seq,
        message: `the query columns of seq ${seq} differ from its body: ${changed.join(', ')}`,
      });
    }
  }
  return leaf;
}

function parseStoredEvent(event: VerifiableEvent, findings: Findings): StoredEvent | undefined {
  const { seq, body } = event;
  let parsed = event.parsed;
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(body);
    } catch {
      findings.add({ code: 'malformed_event', seq, message: `the body of seq ${seq} is not JSON` });
      return undefined;
    }
    // Only the canonical form is hashed by the writer; any other spelling was written by someone else.
    if (canonicalJson(parsed) !== body) {
      findings.add({ code: 'malformed_event', seq, message: `the body of seq ${seq} is not canonical JSON` });
      return undefined;
    }
  }
  const problem = storedEventProblem(parsed);
  if (problem !== undefined) {
    findings.add({
      code: 'malformed_event',
      seq,
      message: `the body of seq ${seq} is not an event: ${problem}`,
    });
    return undefined;
  }
  return parsed as StoredEvent;
}

function changedColumns(expected: EventColumns, actual: RowColumns): string[] {
  const changed: string[] = [];
  // for...in: this runs for every event, and Object.entries would build an array of pairs each time.
  for (const name in expected) {
    if (name === 'tenant_id') continue;
    const column = name as keyof RowColumns;
    // Drivers return NULL as null, but a source may leave absent columns out.
    if ((actual[column] ?? null) !== expected[column]) changed.push(name);
  }
  return changed;
}
