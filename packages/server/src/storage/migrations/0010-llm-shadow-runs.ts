import type { Kysely, Migration } from 'kysely';

/**
 * LLM shadow runs: per model call that was shadowed (or meant to be and skipped), both sides'
 * figures and how they compare, for `warden llm shadow report`. The texts themselves are in the
 * audit (the call's outcome and the `llm.shadow` event), redacted and sealed like any output.
 */
export const llmShadowRuns: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('llm_shadow_runs')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('decision_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('primary_provider', 'text', (c) => c.notNull())
      .addColumn('primary_model', 'text', (c) => c.notNull())
      .addColumn('shadow_provider', 'text')
      .addColumn('shadow_model', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('streamed', 'integer', (c) => c.notNull())
      .addColumn('primary_input_tokens', 'bigint')
      .addColumn('primary_output_tokens', 'bigint')
      .addColumn('primary_cost_micros', 'bigint')
      .addColumn('primary_latency_ms', 'bigint')
      .addColumn('primary_ttft_ms', 'bigint')
      .addColumn('primary_tools', 'text')
      .addColumn('shadow_input_tokens', 'bigint')
      .addColumn('shadow_output_tokens', 'bigint')
      .addColumn('shadow_cost_micros', 'bigint')
      .addColumn('shadow_latency_ms', 'bigint')
      .addColumn('shadow_ttft_ms', 'bigint')
      .addColumn('shadow_tools', 'text')
      .addColumn('tools_differ', 'integer')
      .addColumn('similarity', 'double precision')
      .execute();
    await db.schema
      .createIndex('llm_shadow_runs_tenant_time')
      .on('llm_shadow_runs')
      .columns(['tenant_id', 'created_at'])
      .execute();
  },
};
