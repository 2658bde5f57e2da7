/**
 * Console benchmark: the API calls behind each console page, at 1,000 agents and 1,000,000 audit
 * events, on SQLite (PostgreSQL with BENCH_CONSOLE_POSTGRES=1).
 *
 * - Seeds a node with bench/console-seed.ts, or reuses the seeded data directory kept under the
 *   system's temporary directory (`warden-console-bench-v…`, dropped after 12 hours or with
 *   BENCH_CONSOLE_RESEED=1), since seeding takes minutes.
 * - Measures p50/p95 of each call over BENCH_CONSOLE_ROUNDS rounds (default 12) over real HTTP; every
 *   round runs every call once, in a shuffled order, so the calls share the machine's moments alike.
 * - Checks inclusion proofs of sampled events against the latest signed checkpoint.
 * - If the console is built (packages/console/dist) and /usr/bin/chromium exists: the overview's
 *   render time in headless Chromium (signed in through POST /v1/console/sign-in; skipped with a
 *   note when the node has no such route), and the app's gzipped size.
 * Last line: one JSON object. Appends the figures to bench/RESULTS.md.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { verifyInclusion } from '../packages/server/src/audit/merkle/index.js';
import type { WardenNode } from '../packages/server/src/main.js';
import { startSeedNode } from './console-node.js';
import { type SeedResult, seedConsole } from './console-seed.js';
import { recordResult } from './machine.js';

const AGENTS = Number(process.env.BENCH_CONSOLE_AGENTS ?? 1_000);
const EVENTS = Number(process.env.BENCH_CONSOLE_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 12);
const POSTGRES = process.env.BENCH_CONSOLE_POSTGRES === '1';
const POSTGRES_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_MS = 300;
const CACHE_HOURS = 12;
/** Bumped when the seed or the schema it is measured on changes, so an older seeded directory is not reused. */
const SEED_FORMAT = 3;
const CONSOLE_DIST = fileURLToPath(new URL('../packages/console/dist', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

type Role = keyof SeedResult['tokens'];

/** One API call a console page makes, with who makes it. */
interface Call {
  readonly page: string;
  readonly name: string;
  readonly url: string;
  readonly as: Role;
}

/** The calls behind each page, aimed at the seeded data. */
function callsOf(seed: SeedResult, ids: { approvalId: string; ownerId: string; version: string }): Call[] {
  const agent = seed.sample.agentIds[0] ?? '';
  const quiet = seed.sample.agentIds.at(-1) ?? agent;
  const task = seed.sample.taskIds[0] ?? '';
  const event = seed.sample.eventIds[0] ?? '';
  const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
  const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const audit = (name: string, query: string): Call => ({
    page: 'audit',
    name: `audit events ${name}`,
    url: `/v1/audit/events?order=desc&limit=50${query}`,
    as: 'auditor',
  });
  return [
    { page: 'overview', name: 'overview (admin)', url: '/v1/console/overview', as: 'admin' },
    { page: 'overview', name: 'overview (approver)', url: '/v1/console/overview', as: 'approver' },
    { page: 'overview', name: 'me', url: '/v1/me', as: 'admin' },
    { page: 'agents', name: 'agents', url: '/v1/agents?limit=50', as: 'admin' },
    { page: 'agents', name: 'agents status', url: '/v1/agents?status=suspended&limit=50', as: 'admin' },
    { page: 'agents', name: 'agents tier', url: '/v1/agents?tier=sandbox&limit=50', as: 'admin' },
    { page: 'agents', name: 'agents role', url: '/v1/agents?role=data-pipeline&limit=50', as: 'admin' },
    { page: 'agents', name: 'agents owner', url: `/v1/agents?owner=${ids.ownerId}&limit=50`, as: 'admin' },
    {
      page: 'agents',
      name: 'agents inactive',
      url: `/v1/agents?inactiveSince=${encodeURIComponent(dayAgo)}&limit=50`,
      as: 'admin',
    },
    { page: 'agent', name: 'agent', url: `/v1/agents/${agent}`, as: 'owner' },
    { page: 'agent', name: 'capabilities', url: `/v1/agents/${agent}/capabilities`, as: 'owner' },
    { page: 'agent', name: 'agent budgets', url: `/v1/agents/${agent}/budgets`, as: 'owner' },
    { page: 'agent', name: 'agent baselines', url: `/v1/agents/${agent}/baselines`, as: 'owner' },
    { page: 'agent', name: 'agent keys', url: `/v1/agents/${agent}/keys`, as: 'admin' },
    { page: 'agent', name: 'agent grants', url: `/v1/agents/${agent}/grants`, as: 'admin' },
    { page: 'agent', name: 'agent anomalies', url: `/v1/anomalies?agentId=${agent}&limit=20`, as: 'admin' },
    {
      page: 'agent',
      name: 'agent activity',
      url: `/v1/audit/events?order=desc&limit=50&agent=${agent}`,
      as: 'auditor',
    },
    {
      page: 'agent',
      name: 'quiet agent activity',
      url: `/v1/audit/events?order=desc&limit=50&agent=${quiet}`,
      as: 'auditor',
    },
    { page: 'approvals', name: 'approvals mine', url: '/v1/approvals?mine=true&limit=50', as: 'approver' },
    { page: 'approvals', name: 'approvals history', url: '/v1/approvals?limit=50', as: 'admin' },
    {
      page: 'approvals',
      name: 'approvals approved',
      url: '/v1/approvals?status=approved&limit=50',
      as: 'admin',
    },
    { page: 'approvals', name: 'approval', url: `/v1/approvals/${ids.approvalId}`, as: 'approver' },
    audit('latest', ''),
    audit('by agent', `&agent=${agent}`),
    audit('by tool', '&tool=payments.refund'),
    audit('by tool prefix', '&tool=warehouse.*'),
    audit('by type', '&type=approval.*'),
    audit('by rare type', '&type=agent.anomaly'),
    audit('by effect', '&effect=deny'),
    audit('by outcome', '&outcome=failed'),
    audit('by task', `&task=${task}`),
    audit('by time', `&from=${encodeURIComponent(weekAgo)}&to=${encodeURIComponent(dayAgo)}`),
    audit('by agent and effect', `&agent=${agent}&effect=deny`),
    audit('by rule', '&rule=deploy-production-review'),
    { page: 'audit', name: 'task trace', url: `/v1/tasks/${task}/trace`, as: 'auditor' },
    {
      page: 'audit',
      name: 'inclusion proof',
      url: `/v1/audit/proof/inclusion?event=${event}`,
      as: 'auditor',
    },
    { page: 'audit', name: 'latest checkpoint', url: '/v1/audit/checkpoints/latest', as: 'auditor' },
    { page: 'budgets', name: 'budgets', url: '/v1/budgets', as: 'admin' },
    ...seed.sample.budgetIds.map((id, i) => ({
      page: 'budgets',
      name: `budget usage ${i + 1}`,
      url: `/v1/budgets/${id}/usage?days=30`,
      as: 'admin' as const,
    })),
    { page: 'budgets', name: 'rate limits', url: '/v1/rate-limits', as: 'admin' },
    { page: 'policies', name: 'policies', url: '/v1/policies', as: 'admin' },
    { page: 'policies', name: 'policy versions', url: '/v1/policies/versions', as: 'admin' },
    { page: 'policies', name: 'policy version', url: `/v1/policies/versions/${ids.version}`, as: 'admin' },
    { page: 'incidents', name: 'incidents', url: '/v1/incidents?limit=50', as: 'auditor' },
    { page: 'incidents', name: 'tenant status', url: '/v1/kill/tenant', as: 'admin' },
  ];
}

async function main(): Promise<void> {
  const { node, seed, seeded } = await seededNode();
  try {
    const base = await node.listen();
    const tokens = seed.tokens;
    const get = async (url: string, as: Role) => {
      const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${tokens[as]}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 300)}`);
      return JSON.parse(body) as Record<string, unknown>;
    };
    const ids = {
      approvalId:
        ((await get('/v1/approvals?mine=true&limit=1', 'approver')).approvals as { id: string }[])[0]?.id ??
        '',
      ownerId: ((await get('/v1/me', 'owner')).human as { id: string }).id,
      version: (await get('/v1/policies', 'admin')).version as string,
    };
    const calls = callsOf(seed, ids);
    const proofs = await checkProofs(get, seed.sample.eventIds);

    // A warm-up round (caches, statement preparation), then the measured rounds.
    for (const call of calls) await get(call.url, call.as);
    const times = new Map<string, number[]>(calls.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const call of shuffled(calls)) {
        const started = performance.now();
        await get(call.url, call.as);
        times.get(call.name)?.push(performance.now() - started);
      }
    }
    const perCall = calls.map((call) => {
      const sorted = [...(times.get(call.name) ?? [])].sort((a, b) => a - b);
      return {
        page: call.page,
        name: call.name,
        url: call.url,
        p50: quantile(sorted, 0.5),
        p95: quantile(sorted, 0.95),
      };
    });
    const worst = perCall.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    const pages = [...new Set(calls.map((c) => c.page))].map((page) => {
      const mine = perCall.filter((c) => c.page === page);
      return { page, worst_p95_ms: round2(Math.max(...mine.map((c) => c.p95))), calls: mine.length };
    });
    const browser = await renderOverview(base, tokens.admin);
    const bundle = gzippedSize();

    const result = {
      bench: 'console',
      database: POSTGRES ? 'postgres' : 'sqlite',
      agents: seed.agents,
      audit_events: seed.events,
      seeded_now: seeded,
      seed_s: round2(seed.seconds),
      rounds: ROUNDS,
      calls: perCall.length,
      worst_call: worst.name,
      worst_p95_ms: round2(worst.p95),
      over_target: perCall.filter((c) => c.p95 > TARGET_MS).map((c) => c.name),
      pages,
      per_call: Object.fromEntries(perCall.map((c) => [c.name, { p50: round2(c.p50), p95: round2(c.p95) }])),
      proofs_verified: proofs.verified,
      proofs_checked: proofs.checked,
      ...browser,
      ...bundle,
    };
    recordResult(`console (${result.database})`, [
      `shared machine (up to 8 concurrent jobs on 2 cores): figures are upper bounds`,
      `${seed.agents} agents, ${seed.events.toLocaleString('en')} audit events${seeded ? `, seeded in ${result.seed_s} s` : ' (seeded earlier, reused)'}`,
      `${perCall.length} API calls behind the console's pages, ${ROUNDS} interleaved rounds: worst p95 ${result.worst_p95_ms} ms (${worst.name}); target ≤ ${TARGET_MS} ms; over: ${result.over_target.length === 0 ? 'none' : result.over_target.join(', ')}`,
      `per page, worst p95: ${pages.map((p) => `${p.page} ${p.worst_p95_ms} ms`).join(', ')}`,
      `inclusion proofs of ${proofs.checked} sampled events verified against the signed checkpoint: ${proofs.verified}`,
      browser.render_note ??
        `overview rendered in headless Chromium in ${browser.overview_render_ms} ms (target ≤ 1,500 ms)`,
      bundle.bundle_note ?? `console app: ${bundle.bundle_gzip_kb} KB gzipped (target ≤ 500 KB)`,
      `JSON: \`${JSON.stringify({ ...result, per_call: undefined })}\``,
    ]);
    console.log(JSON.stringify(result));
  } finally {
    await node.close();
  }
}

/** The seeded node: from the kept data directory when it is recent, otherwise seeded now. */
async function seededNode(): Promise<{ node: WardenNode; seed: SeedResult; seeded: boolean }> {
  if (POSTGRES) {
    const schema = `console_bench_${Date.now().toString(36)}`;
    await pgQuery(`create schema ${schema}`);
    const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const node = await startSeedNode(url);
    const seed = await seedConsole(node, { agents: AGENTS, events: EVENTS });
    // The schema and the node's key files go when the process ends; the node is closed first.
    process.once('beforeExit', () => {
      rmSync(node.config.dataDir, { recursive: true, force: true });
      void pgQuery(`drop schema if exists ${schema} cascade`);
    });
    return { node, seed, seeded: true };
  }
  const dir = join(tmpdir(), `warden-console-bench-v${SEED_FORMAT}-${AGENTS}-${EVENTS}`);
  const manifest = join(dir, 'seed.json');
  const fresh = existsSync(manifest) && Date.now() - statSync(manifest).mtimeMs < CACHE_HOURS * 3_600_000;
  if (fresh && process.env.BENCH_CONSOLE_RESEED !== '1') {
    const node = await startSeedNode(dir);
    return { node, seed: JSON.parse(readFileSync(manifest, 'utf8')) as SeedResult, seeded: false };
  }
  rmSync(dir, { recursive: true, force: true });
  const node = await startSeedNode(dir);
  const seed = await seedConsole(node, { agents: AGENTS, events: EVENTS });
  writeFileSync(manifest, JSON.stringify(seed));
  return { node, seed, seeded: true };
}

/** Inclusion proofs of the sampled events, each checked against the latest signed checkpoint's root. */
async function checkProofs(
  get: (url: string, as: Role) => Promise<Record<string, unknown>>,
  eventIds: readonly string[],
): Promise<{ checked: number; verified: number }> {
  const checkpoint = await get('/v1/audit/checkpoints/latest', 'auditor');
  const root = Buffer.from(checkpoint.root as string, 'base64');
  let verified = 0;
  const sample = eventIds.slice(0, 50);
  for (const id of sample) {
    const proof = await get(`/v1/audit/proof/inclusion?event=${id}&size=${checkpoint.size}`, 'auditor');
    const ok = verifyInclusion(
      Buffer.from(proof.leafHash as string, 'base64'),
      proof.seq as number,
      proof.size as number,
      (proof.proof as string[]).map((h) => Buffer.from(h, 'base64')),
      root,
    );
    if (ok) verified++;
  }
  return { checked: sample.length, verified };
}

/** The overview's time to render in headless Chromium, signed in with a session cookie. */
async function renderOverview(
  base: string,
  adminToken: string,
): Promise<{ overview_render_ms?: number; render_note?: string }> {
  if (!existsSync(join(CONSOLE_DIST, 'index.html')))
    return { render_note: 'console not built (npm run build): render time not measured' };
  if (!existsSync(CHROMIUM)) return { render_note: `${CHROMIUM} not installed: render time not measured` };
  const probe = await fetch(`${base}/v1/console/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: adminToken }),
  });
  if (probe.status === 404)
    return { render_note: 'no POST /v1/console/sign-in on this node: render time not measured' };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Signing in from the page sets the HttpOnly cookie in the browser's own jar.
    await page.goto(`${base}/sign-in`);
    const signIn = await page.request.post(`${base}/v1/console/sign-in`, { data: { token: adminToken } });
    if (!signIn.ok()) return { render_note: `sign-in answered ${signIn.status()}: render time not measured` };
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const overview = page.waitForResponse((r) => r.url().endsWith('/v1/console/overview'), {
        timeout: 15_000,
      });
      await page.goto(`${base}/`, { waitUntil: 'load' });
      await overview;
      await page.waitForLoadState('networkidle');
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { overview_render_ms: round2(quantile(times, 0.5)) };
  } catch (error) {
    return { render_note: `render not measured: ${(error as Error).message.split('\n')[0]}` };
  } finally {
    await browser.close();
  }
}

/** The sum of the built app's assets, each gzipped. */
function gzippedSize(): { bundle_gzip_kb?: number; bundle_note?: string } {
  const assets = join(CONSOLE_DIST, 'assets');
  if (!existsSync(assets)) return { bundle_note: 'console not built (npm run build): size not measured' };
  let bytes = 0;
  for (const file of readdirSync(assets))
    bytes += gzipSync(readFileSync(join(assets, file)), { level: 9 }).length;
  return { bundle_gzip_kb: round2(bytes / 1024) };
}

async function pgQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(text);
  await client.end();
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

await main();
