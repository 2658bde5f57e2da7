/**
 * What a covering index for the drift report would cost the decide path's writes: inserting
 * decision rows (in transactions of 64, as the group commit writes them) into SQLite with the
 * decisions' per-agent index as migration 0001 made it (tenant, agent, time), and widened to carry
 * the tool, deciding rule, code and effect, so the report could group from the index alone (tried,
 * not adopted; bench/drift.ts with BENCH_INDEX_AB=1 measures what it saves the report). Both schemas are filled alternately, three
 * rounds each, on files with synchronous=NORMAL (the tests' setting; FULL adds the same fsync to
 * both). Last line: {"bench":"drift-index",...}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { newId } from '../packages/server/src/ids.js';
import { recordResult } from './machine.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 60_000);
const BATCH = 64;
const ROUNDS = 3;
const AGENTS = 1_000;
const TOOLS = ['docs.search', 'docs.read', 'tickets.read', 'tickets.close', 'payments.refund', 'svc1.run'];

const TABLE = `create table decisions (
  id text primary key, tenant_id text not null, agent_id text not null, key_id text not null,
  task_id text, tool text not null, args text not null, effect text not null, code text not null,
  reason text not null, deciding_rule text, detail text not null, policy_version text not null,
  evaluation_micros double precision not null, created_at bigint not null, outcome_status text,
  outcome text, outcome_at bigint)`;
const INDEXES = {
  narrow: 'create index decisions_agent on decisions (tenant_id, agent_id, created_at)',
  covering:
    'create index decisions_agent_usage on decisions (tenant_id, agent_id, created_at, tool, deciding_rule, code, effect)',
} as const;
type Variant = keyof typeof INDEXES;

function fill(dir: string, variant: Variant, round: number): number {
  const db = new SQLite(join(dir, `${variant}-${round}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(TABLE);
  db.exec('create index decisions_task on decisions (tenant_id, task_id)');
  db.exec(INDEXES[variant]);
  const insert = db.prepare(
    `insert into decisions values (?, 'ten_bench', ?, 'key_bench', null, ?, '{"q":"x"}', ?, 'rule', 'bench', ?, '{"rules":[]}', 'v1', 5, ?, null, null, null)`,
  );
  const agents = Array.from({ length: AGENTS }, (_, i) => `agt_${String(i).padStart(26, '0')}`);
  const batch = db.transaction((from: number) => {
    for (let i = from; i < Math.min(from + BATCH, ROWS); i++) {
      const tool = TOOLS[i % TOOLS.length] as string;
      insert.run(
        newId('dec'),
        agents[i % AGENTS],
        tool,
        i % 5 === 0 ? 'deny' : 'allow',
        `${tool}-rule`,
        Date.now(),
      );
    }
  });
  const started = performance.now();
  for (let from = 0; from < ROWS; from += BATCH) batch(from);
  const ms = performance.now() - started;
  db.close();
  return ms;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'warden-bench-drift-index-'));
const times: Record<Variant, number[]> = { narrow: [], covering: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of ['narrow', 'covering'] as const) {
      times[variant].push(fill(dir, variant, round));
      console.log(
        `round ${round + 1} ${variant}: ${Math.round(times[variant].at(-1) ?? 0)} ms for ${ROWS} rows`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const perRow = (variant: Variant) => (median(times[variant]) * 1_000) / ROWS;
const cost = Math.round(((perRow('covering') - perRow('narrow')) / perRow('narrow')) * 1_000) / 10;
recordResult(
  `drift-index (decision inserts into SQLite, transactions of ${BATCH}, with the per-agent index of 0001 vs a covering one (tried for the drift report); ${ROUNDS} alternating rounds of ${ROWS} rows, medians)`,
  [
    `narrow index (tenant, agent, time): ${perRow('narrow').toFixed(1)} µs per decision row`,
    `covering index (+ tool, rule, code, effect): ${perRow('covering').toFixed(1)} µs per decision row (${cost > 0 ? '+' : ''}${cost} %)`,
    'the machine was shared with other work during this run (2 cores): the alternation, not the absolute figures, is what to read',
  ],
);
console.log(
  JSON.stringify({
    bench: 'drift-index',
    rows: ROWS,
    narrow_us_per_row: Math.round(perRow('narrow') * 10) / 10,
    covering_us_per_row: Math.round(perRow('covering') * 10) / 10,
    cost_pct: cost,
  }),
);
