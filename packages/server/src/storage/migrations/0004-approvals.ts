import type { Kysely, Migration } from 'kysely';

/**
 * Human in the loop.
 *
 * - approval_requests: one per review (and per access request, agent registration and sampled
 *   action). `version` is bumped by every change, so a vote, a deadline and an escalation racing on
 *   several nodes settle by compare-and-set: exactly one of them changes a given version.
 * - approval_votes: one row per human per request (the primary key makes "a human counts once"
 *   hold even against concurrent calls).
 * - access_grants: temporary grants made by approved access requests; the policy engine sees them.
 * - incidents: recorded failures (a rejected post-review, a missed review) and who was accountable.
 * - notification_deliveries: durable outgoing webhooks, retried with backoff; `dead` rows are the
 *   dead-letter queue an operator inspects and replays.
 */
export const approvals: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('approval_requests')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('decision_id', 'text')
      .addColumn('task_id', 'text')
      .addColumn('tool', 'text')
      .addColumn('action_digest', 'text')
      .addColumn('requester_type', 'text', (c) => c.notNull())
      .addColumn('requester_id', 'text', (c) => c.notNull())
      .addColumn('initiator_id', 'text')
      .addColumn('on_behalf_of_id', 'text')
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('requirement', 'text', (c) => c.notNull())
      .addColumn('excluded', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('escalation', 'integer', (c) => c.notNull())
      .addColumn('deadline_at', 'bigint', (c) => c.notNull())
      .addColumn('oncall_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('decided_at', 'bigint')
      .addColumn('decided_by', 'text')
      .addColumn('comment', 'text')
      .addColumn('grant_expires_at', 'bigint')
      .addColumn('consumed_at', 'bigint')
      .addColumn('consumed_by', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('approval_requests_due')
      .on('approval_requests')
      .columns(['status', 'deadline_at'])
      .execute();
    await db.schema
      .createIndex('approval_requests_oncall')
      .on('approval_requests')
      .columns(['status', 'oncall_until'])
      .execute();
    await db.schema
      .createIndex('approval_requests_agent')
      .on('approval_requests')
      .columns(['tenant_id', 'agent_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('approval_requests_tenant')
      .on('approval_requests')
      .columns(['tenant_id', 'status', 'created_at'])
      .execute();

    await db.schema
      .createTable('approval_votes')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('request_id', 'text', (c) => c.notNull().references('approval_requests.id'))
      .addColumn('human_id', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('verdict', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('approval_votes_pk', ['request_id', 'human_id'])
      .execute();

    await db.schema
      .createTable('access_grants')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('tools', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('access_grants_agent')
      .on('access_grants')
      .columns(['tenant_id', 'agent_id', 'expires_at'])
      .execute();

    await db.schema
      .createTable('incidents')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('approval_id', 'text')
      .addColumn('decision_id', 'text')
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('incidents_agent')
      .on('incidents')
      .columns(['tenant_id', 'agent_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('notification_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('notification_deliveries_due')
      .on('notification_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();

    // Where to call back when a post-mode review rejects an action the agent already took.
    await db.schema.alterTable('agents').addColumn('rollback_url', 'text').execute();
  },
};
