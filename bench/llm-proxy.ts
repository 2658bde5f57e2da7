/**
 * LLM proxy benchmark: chat completions of the official `openai` client against the local fake
 * OpenAI provider (started in this process, with a fixed delay before the first byte and between
 * stream chunks, the same for both paths), directly (client → fake) and through Warden (client →
 * `/llm/openai/v1` of a `warden up` process on SQLite with synchronous=FULL → fake), in alternating
 * rounds so drift of a shared machine hits both alike. Through Warden every call is decided,
 * reserved against a USD budget, audited with its prompt and completion, and settled at its cost.
 * Measured: non-streaming latency at concurrency 1 and 16, streaming time to first token (the first
 * chunk with content) and to last token at concurrency 1; `--calls` calls each.
 * Flags: --calls N (default 1000), --rounds N (default 2), --first-byte-ms N (10), --chunk-ms N (2),
 * --profile (the server runs with `--cpu-prof`; its top self time is printed and nothing is recorded),
 * --keep (keep the profile, for `bench/cpu-profile.ts` or a viewer).
 * Last line: {"bench":"llm-proxy","added_p50_ms":…,"added_p99_ms":…,"ttft_added_p50_ms":…,"c16_added_p99_ms":…,…}
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { startFakeOpenAi } from '../packages/server/test/llm/fakes/openai-fake.js';
import { summariseProfile } from './cpu-profile.js';
import { createBenchAgents, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';
import { cpuMs } from './proc-stats.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
    'first-byte-ms': { type: 'string', default: '10' },
    'chunk-ms': { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const FIRST_BYTE_MS = Number(values['first-byte-ms']);
const CHUNK_MS = Number(values['chunk-ms']);
const PROFILE = values.profile;
const KEY_ENV = 'WARDEN_BENCH_OPENAI_KEY';
const PROMPT = 'Summarise the state of the quarterly report in one short line please';
const MAX_TOKENS = 256;

type Path = 'direct' | 'warden';

interface JsonRun {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly calls_per_s: number;
  /** Warden only: the server's own time before it called the provider (x-warden-overhead-ms), p50. */
  readonly overhead_p50_ms: number | null;
}

interface StreamRun {
  readonly ttft_p50_ms: number;
  readonly ttft_p99_ms: number;
  readonly ttlt_p50_ms: number;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: readonly number[], q: number) =>
  Number((xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0).toFixed(3));

/** `calls` non-streaming completions by `concurrency` workers back to back. */
async function measureJson(client: OpenAI, concurrency: number, calls: number): Promise<JsonRun> {
  const latencies: number[] = [];
  const overheads: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        const t0 = performance.now();
        const { data, response } = await client.chat.completions
          .create({ model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_TOKENS })
          .withResponse();
        latencies.push(performance.now() - t0);
        if (!data.choices[0]?.message.content?.startsWith('echo: ')) throw new Error('unexpected answer');
        const overhead = response.headers.get('x-warden-overhead-ms');
        if (overhead !== null) overheads.push(Number(overhead));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  const s = sorted(latencies);
  return {
    p50_ms: quantile(s, 0.5),
    p99_ms: quantile(s, 0.99),
    calls_per_s: Math.round(calls / seconds),
    overhead_p50_ms: overheads.length > 0 ? quantile(sorted(overheads), 0.5) : null,
  };
}

/** `calls` streamed completions one after the other: time to the first content chunk and to the end. */
async function measureStream(client: OpenAI, calls: number): Promise<StreamRun> {
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: MAX_TOKENS,
      stream: true,
      // Both paths ask for usage, so the provider sends the same chunks to both.
      stream_options: { include_usage: true },
    });
    let ttft: number | undefined;
    let text = '';
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) {
        ttft ??= performance.now() - t0;
        text += piece;
      }
    }
    last.push(performance.now() - t0);
    if (ttft === undefined || !text.startsWith('echo: ')) throw new Error('unexpected stream');
    first.push(ttft);
  }
  const f = sorted(first);
  return {
    ttft_p50_ms: quantile(f, 0.5),
    ttft_p99_ms: quantile(f, 0.99),
    ttlt_p50_ms: quantile(sorted(last), 0.5),
  };
}

const fake = await startFakeOpenAi({ firstByteDelayMs: FIRST_BYTE_MS, chunkDelayMs: CHUNK_MS });
const dir = mkdtempSync(join(tmpdir(), 'warden-llm-bench-'));
const policyDir = join(dir, 'policies');
mkdirSync(policyDir);
writeFileSync(
  join(policyDir, 'bench.yaml'),
  `apiVersion: warden/v1
kind: Policy
metadata:
  name: llm-bench
  owner: bench@example.test
spec:
  agents:
    roles: [llm-bench]
  rules:
    - id: models
      effect: allow
      tools: ["llm.openai.*"]
      reason: The benchmark calls models
`,
);
writeFileSync(
  join(dir, 'providers.yaml'),
  `providers:
  - name: openai
    kind: openai
    baseUrl: ${fake.url}
    apiKey: { fromEnv: ${KEY_ENV} }
    timeoutSeconds: 30
`,
);
const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'warden-llm-prof-')) : undefined;
const server = await startBenchServer(
  'sqlite',
  {
    WARDEN_POLICY_DIR: policyDir,
    WARDEN_LLM_PROVIDERS_FILE: join(dir, 'providers.yaml'),
    [KEY_ENV]: 'sk-fake-openai',
  },
  profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {},
);

const results: {
  json1: Record<Path, JsonRun>;
  json16: Record<Path, JsonRun>;
  stream: Record<Path, StreamRun>;
}[] = [];
let cpuUsPerCall = 0;
let budget = { spent: 0, reserved: 0 };
let window: { fromUs: number; toUs: number } | undefined;
try {
  const admin = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
  const [agent] = await createBenchAgents(server.url, server.adminToken, 1, () => 'llm-bench');
  // Every call through Warden reserves its worst case against this budget and settles it.
  const created = await fetch(`${server.url}/v1/budgets`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({
      name: 'llm-bench',
      scope: 'role',
      role: 'llm-bench',
      period: 'day',
      unit: 'usd',
      limit: 1e6,
    }),
  });
  if (created.status !== 201) throw new Error(`creating the budget failed: ${await created.text()}`);
  const budgetId = ((await created.json()) as { id: string }).id;
  const clients: Record<Path, OpenAI> = {
    direct: new OpenAI({ baseURL: fake.url, apiKey: 'sk-fake-openai', maxRetries: 0 }),
    warden: new OpenAI({
      baseURL: `${server.url}/llm/openai/v1`,
      apiKey: (agent as { key: string }).key,
      maxRetries: 0,
    }),
  };
  // Warm up both paths (JIT, connections, statement caches).
  for (const path of ['direct', 'warden'] as const) {
    await measureJson(clients[path], 4, 300);
    await measureStream(clients[path], 50);
  }
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  let wardenCpuMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order: Path[] = round % 2 === 0 ? ['direct', 'warden'] : ['warden', 'direct'];
    const json1 = {} as Record<Path, JsonRun>;
    const json16 = {} as Record<Path, JsonRun>;
    const stream = {} as Record<Path, StreamRun>;
    for (const path of order) {
      const before = cpuMs(server.pid);
      json1[path] = await measureJson(clients[path], 1, CALLS);
      if (path === 'warden') wardenCpuMs += cpuMs(server.pid) - before;
      const r = json1[path];
      console.log(
        `round ${round + 1} ${path.padEnd(6)} c=1  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms${r.overhead_p50_ms !== null ? `  (server before provider p50 ${r.overhead_p50_ms} ms)` : ''}`,
      );
    }
    for (const path of order) {
      json16[path] = await measureJson(clients[path], 16, CALLS);
      const r = json16[path];
      console.log(
        `round ${round + 1} ${path.padEnd(6)} c=16 p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  ${r.calls_per_s} calls/s`,
      );
    }
    for (const path of order) {
      stream[path] = await measureStream(clients[path], CALLS);
      const r = stream[path];
      console.log(
        `round ${round + 1} ${path.padEnd(6)} stream c=1  first token p50 ${r.ttft_p50_ms} ms (p99 ${r.ttft_p99_ms})  last token p50 ${r.ttlt_p50_ms} ms`,
      );
    }
    results.push({ json1, json16, stream });
  }
  window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  cpuUsPerCall = Math.round((wardenCpuMs * 1000) / (CALLS * ROUNDS));
  // Settlement is written after the answer: give the last outcomes a moment, then read the counter.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const shown = (await (await fetch(`${server.url}/v1/budgets/${budgetId}`, { headers: admin })).json()) as {
    counters: { spent: number; reserved: number }[];
  };
  budget = { spent: shown.counters[0]?.spent ?? 0, reserved: shown.counters[0]?.reserved ?? 0 };
  console.log(`budget: spent $${budget.spent}, still reserved $${budget.reserved}`);
} finally {
  await server.stop();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return Number(
    (s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2).toFixed(3),
  );
};
const json = (phase: 'json1' | 'json16', path: Path, key: keyof JsonRun) =>
  median(results.map((r) => Number(r[phase][path][key] ?? 0)));
const str = (path: Path, key: keyof StreamRun) => median(results.map((r) => r.stream[path][key]));
const diff = (a: number, b: number) => Number((a - b).toFixed(3));

const summary = {
  bench: 'llm-proxy',
  added_p50_ms: diff(json('json1', 'warden', 'p50_ms'), json('json1', 'direct', 'p50_ms')),
  added_p99_ms: diff(json('json1', 'warden', 'p99_ms'), json('json1', 'direct', 'p99_ms')),
  ttft_added_p50_ms: diff(str('warden', 'ttft_p50_ms'), str('direct', 'ttft_p50_ms')),
  c16_added_p99_ms: diff(json('json16', 'warden', 'p99_ms'), json('json16', 'direct', 'p99_ms')),
  calls: CALLS,
  rounds: ROUNDS,
  fake_first_byte_ms: FIRST_BYTE_MS,
  fake_chunk_ms: CHUNK_MS,
  direct_p50_ms: json('json1', 'direct', 'p50_ms'),
  warden_p50_ms: json('json1', 'warden', 'p50_ms'),
  direct_p99_ms: json('json1', 'direct', 'p99_ms'),
  warden_p99_ms: json('json1', 'warden', 'p99_ms'),
  server_before_provider_p50_ms: json('json1', 'warden', 'overhead_p50_ms'),
  c16_added_p50_ms: diff(json('json16', 'warden', 'p50_ms'), json('json16', 'direct', 'p50_ms')),
  direct_c16_p99_ms: json('json16', 'direct', 'p99_ms'),
  warden_c16_p99_ms: json('json16', 'warden', 'p99_ms'),
  direct_c16_calls_per_s: json('json16', 'direct', 'calls_per_s'),
  c16_calls_per_s: json('json16', 'warden', 'calls_per_s'),
  ttft_direct_p50_ms: str('direct', 'ttft_p50_ms'),
  ttft_warden_p50_ms: str('warden', 'ttft_p50_ms'),
  ttft_added_p99_ms: diff(str('warden', 'ttft_p99_ms'), str('direct', 'ttft_p99_ms')),
  ttlt_added_p50_ms: diff(str('warden', 'ttlt_p50_ms'), str('direct', 'ttlt_p50_ms')),
  server_cpu_us_per_call: cpuUsPerCall,
  budget_spent_usd: budget.spent,
  budget_reserved_usd: budget.reserved,
};

if (profileDir) {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no profile');
  const profile = summariseProfile(join(profileDir, file), 25, window);
  console.log(
    `\nserver profile of the measured rounds: ${profile.busyMs} ms busy\nself time by file/package:`,
  );
  for (const s of profile.files) console.log(`  ${String(s.pct).padStart(5)} %  ${s.name}`);
  console.log('\nself time by function:');
  for (const s of profile.functions) console.log(`  ${String(s.pct).padStart(5)} %  ${s.name}`);
  if (values.keep) console.log(`\nprofile kept: ${join(profileDir, file)}`);
  else rmSync(profileDir, { recursive: true, force: true });
} else {
  recordResult(
    `llm-proxy (chat completions of the openai client against the fake provider, ${FIRST_BYTE_MS} ms to first byte and ${CHUNK_MS} ms between chunks; direct vs through /llm/openai on SQLite synchronous=FULL, every call decided, reserved, audited with prompt and completion, settled; ${ROUNDS} alternating rounds of ${CALLS} calls, medians)`,
    [
      `concurrency 1, not streaming: direct p50 ${summary.direct_p50_ms} ms, p99 ${summary.direct_p99_ms} ms; through Warden p50 ${summary.warden_p50_ms} ms, p99 ${summary.warden_p99_ms} ms (added p50 ${summary.added_p50_ms} ms, added p99 ${summary.added_p99_ms} ms; the server's own time before calling the provider p50 ${summary.server_before_provider_p50_ms} ms; server CPU ${summary.server_cpu_us_per_call} µs per call)`,
      `concurrency 16, not streaming: direct p99 ${summary.direct_c16_p99_ms} ms, ${summary.direct_c16_calls_per_s} calls/s; through Warden p99 ${summary.warden_c16_p99_ms} ms, ${summary.c16_calls_per_s} calls/s (added p50 ${summary.c16_added_p50_ms} ms, added p99 ${summary.c16_added_p99_ms} ms)`,
      `streaming, concurrency 1: first token direct p50 ${summary.ttft_direct_p50_ms} ms, through Warden ${summary.ttft_warden_p50_ms} ms (added p50 ${summary.ttft_added_p50_ms} ms, added p99 ${summary.ttft_added_p99_ms} ms); last token added p50 ${summary.ttlt_added_p50_ms} ms`,
      `JSON: \`${JSON.stringify(summary)}\``,
    ],
  );
}
console.log(JSON.stringify(summary));
