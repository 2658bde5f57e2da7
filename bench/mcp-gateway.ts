/**
 * MCP gateway benchmark: `tools/call echo` against the reference server-everything over stdio,
 * directly (SDK client → server) and through Warden (SDK client → `/mcp` → the same kind of server,
 * started by Warden), in alternating rounds so drift of a shared machine hits both alike. Warden runs
 * as `warden up` on SQLite with synchronous=FULL: every call is decided, audited before it is
 * forwarded, and its outcome recorded. Concurrency 1 (latency) and 16 (throughput), `--calls` each.
 * The client speaks the 2026-07-28 revision to Warden (stateless HTTP) and the 2025 one to the
 * stdio server, as a desktop client would.
 * Flags: --calls N (default 2000), --rounds N (default 2).
 * Last line: {"bench":"mcp-gateway","direct_p50_ms":…,"warden_p50_ms":…,"added_p50_ms":…,"added_p99_ms":…,"c16_calls_per_s":…}
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createBenchAgents, ROOT, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '2' } },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

interface Run {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly calls_per_s: number;
}

async function measure(client: Client, concurrency: number, calls: number): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        const t0 = performance.now();
        const result = await client.callTool({ name: nameOf(client), arguments: { message: 'bench' } });
        if (result.isError) throw new Error(`call failed: ${JSON.stringify(result.content)}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(3));
  return { p50_ms: at(0.5), p99_ms: at(0.99), calls_per_s: Math.round(calls / seconds) };
}

const names = new WeakMap<Client, string>();
const nameOf = (client: Client) => names.get(client) as string;

async function direct(): Promise<Client> {
  const client = new Client({ name: 'bench-direct', version: '1' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }),
  );
  names.set(client, 'echo');
  return client;
}

async function throughWarden(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'bench-warden', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  names.set(client, 'everything.echo');
  return client;
}

const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-bench-'));
writeFileSync(
  join(dir, 'servers.yaml'),
  `servers:\n  - name: everything\n    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(EVERYTHING)}, stdio]\n`,
);
const policyDir = join(dir, 'policies');
(await import('node:fs')).mkdirSync(policyDir);
writeFileSync(
  join(policyDir, 'bench.yaml'),
  `apiVersion: warden/v1
kind: Policy
metadata:
  name: mcp-bench
  owner: bench@example.test
spec:
  agents:
    roles: [mcp-bench]
  rules:
    - id: echo
      effect: allow
      tools: [everything.echo]
      reason: The benchmark echoes
`,
);

const server = await startBenchServer('sqlite', {
  WARDEN_POLICY_DIR: policyDir,
  WARDEN_MCP_SERVERS_FILE: join(dir, 'servers.yaml'),
});
const results: { direct: Run[]; warden: Run[] }[] = [];
try {
  const [agent] = await createBenchAgents(server.url, server.adminToken, 1, () => 'mcp-bench');
  const clients = {
    direct: await direct(),
    warden: await throughWarden(server.url, (agent as { key: string }).key),
  };
  // Warm up both paths (JIT, the upstream's start, statement caches).
  await measure(clients.direct, 4, 300);
  await measure(clients.warden, 4, 300);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['direct', 'warden'] as const) : (['warden', 'direct'] as const);
    const runs: { direct: Run[]; warden: Run[] } = { direct: [], warden: [] };
    for (const concurrency of [1, 16]) {
      for (const path of order) {
        const run = await measure(clients[path], concurrency, CALLS);
        runs[path][concurrency === 1 ? 0 : 1] = run;
        console.log(
          `round ${round + 1} ${path.padEnd(6)} c=${String(concurrency).padEnd(2)} p50 ${run.p50_ms} ms  p99 ${run.p99_ms} ms  ${run.calls_per_s} calls/s`,
        );
      }
    }
    results.push(runs);
  }
  await clients.direct.close();
  await clients.warden.close();
} finally {
  await server.stop();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return Number(
    (s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2).toFixed(3),
  );
};
const pick = (path: 'direct' | 'warden', c: 0 | 1, key: keyof Run) =>
  median(results.map((r) => r[path][c]?.[key] ?? 0));
const summary = {
  bench: 'mcp-gateway',
  calls: CALLS,
  rounds: ROUNDS,
  direct_p50_ms: pick('direct', 0, 'p50_ms'),
  warden_p50_ms: pick('warden', 0, 'p50_ms'),
  added_p50_ms: Number((pick('warden', 0, 'p50_ms') - pick('direct', 0, 'p50_ms')).toFixed(3)),
  added_p99_ms: Number((pick('warden', 0, 'p99_ms') - pick('direct', 0, 'p99_ms')).toFixed(3)),
  direct_c16_calls_per_s: pick('direct', 1, 'calls_per_s'),
  c16_calls_per_s: pick('warden', 1, 'calls_per_s'),
  c16_p99_ms: pick('warden', 1, 'p99_ms'),
};
recordResult(
  `mcp-gateway (tools/call echo, server-everything over stdio; direct vs through /mcp on SQLite synchronous=FULL, every call audited; ${ROUNDS} alternating rounds of ${CALLS} calls, medians)`,
  [
    `concurrency 1: direct p50 ${summary.direct_p50_ms} ms; through Warden p50 ${summary.warden_p50_ms} ms (added p50 ${summary.added_p50_ms} ms, added p99 ${summary.added_p99_ms} ms)`,
    `concurrency 16: direct ${summary.direct_c16_calls_per_s} calls/s; through Warden ${summary.c16_calls_per_s} calls/s (p99 ${summary.c16_p99_ms} ms)`,
    `JSON: \`${JSON.stringify(summary)}\``,
  ],
);
console.log(JSON.stringify(summary));
