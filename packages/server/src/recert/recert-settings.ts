import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { NoResponseAction } from './campaign.js';

export interface RecertSettings {
  /** What happens to an agent nobody certified once the grace after the deadline is over. */
  readonly onNoResponse: NoResponseAction;
  /** How long security has, after the deadline, to certify what owners left unanswered. */
  readonly graceSeconds: number;
}

export const DEFAULT_RECERT_SETTINGS: RecertSettings = { onNoResponse: 'flag', graceSeconds: 3 * 86_400 };

/** A tenant's defaults for new campaigns; a campaign keeps the ones in force when it started. */
export class RecertSettingsStore {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly audit: AuditLog;
      readonly clock: () => number;
    },
  ) {}

  get(tenantId: string): Promise<RecertSettings> {
    return readSettings(this.deps.storage.db, tenantId);
  }

  async set(principal: HumanPrincipal, change: Partial<RecertSettings>): Promise<RecertSettings> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    return writeTransaction(storage, async (trx) => {
      const now = clock();
      const current = await readSettings(trx, tenantId);
      const next: RecertSettings = { ...current, ...change };
      await trx.deleteFrom('recert_settings').where('tenant_id', '=', tenantId).execute();
      await trx
        .insertInto('recert_settings')
        .values({
          tenant_id: tenantId,
          on_no_response: next.onNoResponse,
          grace_seconds: next.graceSeconds,
          updated_at: now,
          updated_by: principal.humanId,
        })
        .execute();
      await audit.append(trx, tenantId, [
        {
          type: 'recert.settings',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'tenant', id: tenantId },
          payload: { from: { ...current }, to: { ...next } },
          at: now,
        },
      ]);
      return next;
    });
  }
}

export async function readSettings(db: Kysely<Database>, tenantId: string): Promise<RecertSettings> {
  const row = await db
    .selectFrom('recert_settings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row) return DEFAULT_RECERT_SETTINGS;
  return { onNoResponse: row.on_no_response as NoResponseAction, graceSeconds: Number(row.grace_seconds) };
}
