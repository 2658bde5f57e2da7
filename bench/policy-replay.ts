/**
 * Policy impact replay: how long `warden policy impact` (POST /v1/policies/preview) takes to replay
 * 1,000,000 recorded decisions against a candidate bundle on SQLite (target: ≤ 20 s).
 *
 * A node (in this process, SQLite on a temporary file) records a few hundred real decisions of the
 * persona mix through its HTTP API, so every kept input (policy_input, arguments as stored, some
 * redacted) is what the decide path writes. Those rows are then copied in bulk, with new ids and
 * times spread over the last six days, up to `--decisions` rows (default 1,000,000). The measured
 * part is the node's own replay (PolicyImpact.replay: read the window a page at a time, parse, decide,
 * group) of the example policies with one rule changed, over the seven-day window.
 * Flags: --decisions N, --quick (100,000). Last line: one JSON object.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBundleFromFiles } from '@warden/policy';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../packages/server/src/config/config.js';
import { createNode } from '../packages/server/src/main.js';
import { createPersonaAgents, personaCall } from './decide-workload.js';
import { ROOT, runDecideLoad } from './http-load.js';
import { recordResult } from './machine.js';

const { values } = parseArgs({
  options: { decisions: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const TARGET = Number(values.decisions ?? (values.quick ? 100_000 : 1_000_000));
const TEMPLATES = 400;
const DAY = 86_400_000;

/** The example policies, with the knowledge-base reads of support assistants turned into denies. */
function candidateFiles() {
  const dir = join(ROOT, 'examples/policies');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'))
    .map((path) => {
      const text = readFileSync(join(dir, path), 'utf8');
      return {
        path,
        text:
          path === 'support-assistant.yaml'
            ? text.replace(/(id: support-read-kb-and-tickets\n\s+effect:) allow/, '$1 deny')
            : text,
      };
    });
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-replay-bench-'));
  const config = loadConfig({
    overrides: {
      dataDir,
      databaseUrl: `sqlite:${join(dataDir, 'warden.db')}`,
      port: 0,
      logLevel: 'warn',
      policyDir: join(ROOT, 'examples/policies'),
    },
  });
  const node = await createNode(config);
  try {
    const url = await node.listen();
    const agents = await createPersonaAgents(url, node.bootstrap.created?.adminToken.secret ?? '', 20);
    await runDecideLoad({
      url,
      concurrency: 16,
      warmupMs: 0,
      measureMs: 60_000,
      calls: TEMPLATES,
      call: (n) => personaCall(agents, n),
    });
    const started = performance.now();
    const seeded = seed(join(dataDir, 'warden.db'), node.bootstrap.tenant.id, TARGET);
    const seedSeconds = (performance.now() - started) / 1000;
    console.log(`seeded ${seeded} decision rows in ${seedSeconds.toFixed(1)} s`);

    const loaded = loadBundleFromFiles(candidateFiles());
    if (!loaded.ok) throw new Error(`candidate does not load: ${loaded.issues[0]?.message}`);
    const now = Date.now();
    const replayStarted = performance.now();
    const cpuStarted = process.cpuUsage();
    const report = await node.policyChanges.impact.replay(loaded.bundle, {
      tenantId: node.bootstrap.tenant.id,
      since: now - 7 * DAY,
      until: now + 1,
    });
    const seconds = Math.round((performance.now() - replayStarted) / 10) / 100;
    const cpu = process.cpuUsage(cpuStarted);
    // On a shared machine the CPU time this process spent is the steadier figure.
    const cpuSeconds = Math.round((cpu.user + cpu.system) / 10_000) / 100;
    const summary = {
      bench: 'policy-replay',
      decisions: report.decisions,
      replayed: report.replayed,
      changed: report.changed,
      not_replayed:
        report.notReplayed.redacted + report.notReplayed.rejectedArgs + report.notReplayed.noPolicyInput,
      seconds,
      cpu_seconds: cpuSeconds,
      decisions_per_s: Math.round(report.decisions / seconds),
      target_seconds: 20,
    };
    console.log(
      `replayed ${report.replayed} of ${report.decisions} decisions in ${seconds} s, ${cpuSeconds} s of CPU (${summary.decisions_per_s}/s); ${report.changed} changed, ${summary.not_replayed} not replayed`,
    );
    recordResult(
      `policy-replay (POST /v1/policies/preview's replay of ${report.decisions.toLocaleString('en')} recorded decisions against a candidate, SQLite, in process)`,
      [
        `${seconds} s (${cpuSeconds} s of CPU in this process) for ${report.decisions} decisions (${summary.decisions_per_s} decisions/s; target ≤ 20 s for 1,000,000): ${report.replayed} replayed, ${report.changed} changed, ${summary.not_replayed} counted apart (redacted arguments, server gates)`,
        `seeding ${seeded} rows in bulk took ${seedSeconds.toFixed(1)} s (not measured)`,
        `JSON: \`${JSON.stringify(summary)}\``,
      ],
    );
    console.log(JSON.stringify(summary));
  } finally {
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Copies the recorded rows, with new ids and times spread over six days, until there are `target`. */
function seed(file: string, tenantId: string, target: number): number {
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const templates = db.prepare('select * from decisions where tenant_id = ?').all(tenantId) as Record<
      string,
      unknown
    >[];
    if (templates.length === 0) throw new Error('no decisions were recorded to copy');
    const columns = Object.keys(templates[0] as object);
    const insert = db.prepare(
      `insert into decisions (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    const start = Date.now() - 6 * DAY;
    const step = (6 * DAY) / target;
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const row = templates[i % templates.length] as Record<string, unknown>;
        insert.run({
          ...row,
          id: `dec_bench${String(i).padStart(21, '0')}`,
          created_at: Math.floor(start + i * step),
        });
      }
    });
    const existing = templates.length;
    for (let from = 0; from < target - existing; from += 50_000)
      batch(from, Math.min(from + 50_000, target - existing));
    return target;
  } finally {
    db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
