/**
 * Where the server's CPU goes on the decide path: a `warden up` process on SQLite started with
 * `--cpu-prof`, the persona decide mix at concurrency 16, then the top self-time files and
 * functions of the profile's measured period (the monotonic clock is shared by both processes), and the server's CPU time per decision (from /proc, over the measured period).
 * Flags: --measure-ms N (default 8000), --concurrency N (16), --top N (20), --keep (keep the
 * profile), --node-arg=FLAG (repeatable: node flags for the server), --root DIR (profile the build in another
 * checkout, e.g. a baseline's worktree).
 * Last line: {"bench":"decide-profile","cpu_us_per_decision":…,"top_files":[…]}.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summariseProfile } from './cpu-profile.js';
import { createPersonaAgents, runPersonaLoad } from './decide-workload.js';
import { startBenchServer } from './http-load.js';
import { cpuMs } from './proc-stats.js';

const { values } = parseArgs({
  options: {
    'measure-ms': { type: 'string', default: '8000' },
    concurrency: { type: 'string', default: '16' },
    top: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
    root: { type: 'string' },
  },
});

const profileDir = mkdtempSync(join(tmpdir(), 'warden-cpu-prof-'));
const server = await startBenchServer(
  'sqlite',
  {},
  {
    nodeArgs: [...values['node-arg'], '--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    ...(values.root ? { root: values.root } : {}),
  },
);
let cpuPerDecision: number;
let window: { fromUs: number; toUs: number } | undefined;
try {
  const agents = await createPersonaAgents(server.url, server.adminToken, 20);
  const concurrency = Number(values.concurrency);
  const measureMs = Number(values['measure-ms']);
  // Warm up first so the profile's measured part is mostly steady state.
  await runPersonaLoad(server.url, agents, concurrency, 0, 1_500);
  const before = cpuMs(server.pid);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const result = await runPersonaLoad(server.url, agents, concurrency, 0, measureMs);
  window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  const used = cpuMs(server.pid) - before;
  const decisions = (result.rps * measureMs) / 1000;
  cpuPerDecision = Math.round((used * 1000) / decisions);
  console.log(
    `c=${concurrency}: ${result.rps} decisions/s, p50 ${result.p50_ms} ms; server CPU ${Math.round(used)} ms for ${Math.round(decisions)} decisions = ${cpuPerDecision} µs/decision`,
  );
} finally {
  await server.stop();
}
const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('the server wrote no profile');
const summary = summariseProfile(join(profileDir, file), Number(values.top), window);
console.log(`\nprofile of the measured period: ${summary.busyMs} ms busy\nself time by file/package:`);
for (const s of summary.files) console.log(`  ${String(s.pct).padStart(5)} %  ${s.name}`);
console.log('\nself time by function:');
for (const s of summary.functions) console.log(`  ${String(s.pct).padStart(5)} %  ${s.name}`);
if (values.keep) console.log(`\nprofile kept: ${join(profileDir, file)}`);
else rmSync(profileDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'decide-profile',
    cpu_us_per_decision: cpuPerDecision,
    top_files: summary.files.slice(0, 10).map((s) => [s.name, s.pct]),
  }),
);
