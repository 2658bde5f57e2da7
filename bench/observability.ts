/**
 * What metrics and traces cost the decide path: two `warden up` processes on SQLite
 * (synchronous=FULL, every decision audited), one with everything off (WARDEN_METRICS=off,
 * OTEL_SDK_DISABLED=true), one with everything on: /metrics scraped every second by this process
 * and every span exported over OTLP/HTTP to a sink this process runs on 127.0.0.1. Exporting to a
 * real local endpoint, rather than to an exporter that drops spans, keeps what tracing costs the
 * node in the figure: building spans, batching, serialising them to OTLP JSON and POSTing them; only
 * a remote collector's network latency is left out, and the batch processor sends in the background.
 *
 * Both get the same persona mix at concurrency 64, each call with a sampled W3C traceparent, in
 * alternating rounds (off on, on off, …) so drift of a shared machine hits both alike. The figures
 * are the medians of decisions/s and of the server's CPU time per decision (from /proc, over the
 * measured period: the span export and the scrapes included), "on" against "off" (target: at most
 * 5 % cost). On a machine other work shares, the CPU figure is the steadier of the two.
 * Flags: --rounds N (default 4), --measure-ms N (default 6000), --quick (2 rounds of 2 s).
 * Last line: one JSON object.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createPersonaAgents, personaCall } from './decide-workload.js';
import { type LoadResult, medianOf, runDecideLoad, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';
import { cpuMs } from './proc-stats.js';

const CONCURRENCY = 64;
const WARMUP_MS = 1_500;
const SCRAPE_EVERY_MS = 1_000;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    'measure-ms': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const MEASURE_MS = Number(values['measure-ms'] ?? (values.quick ? 2_000 : 6_000));
const ROUNDS = Number(values.rounds ?? (values.quick ? 2 : 4));

type Side = 'off' | 'on';

/** An OTLP/HTTP receiver that counts what it is sent and answers success. */
async function startSink() {
  let requests = 0;
  let spans = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      requests++;
      bytes += Buffer.byteLength(body);
      spans += body.split('"spanId"').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => ({ requests, spans, bytes }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Prometheus' part: GET /metrics every second while `running`. */
function startScraper(url: string) {
  let scrapes = 0;
  let failures = 0;
  let lastBytes = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const res = await fetch(`${url}/metrics`).catch(() => undefined);
      if (res?.ok) {
        lastBytes = (await res.text()).length;
        scrapes++;
      } else failures++;
      await new Promise((resolve) => setTimeout(resolve, SCRAPE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { scrapes, failures, lastBytes };
    },
  };
}

async function main() {
  const sink = await startSink();
  const servers = {
    off: await startBenchServer('sqlite', { WARDEN_METRICS: 'off', OTEL_SDK_DISABLED: 'true' }),
    on: await startBenchServer('sqlite', {
      WARDEN_METRICS: 'on',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_SERVICE_NAME: 'warden-bench',
    }),
  };
  const runs: Record<Side, LoadResult[]> = { off: [], on: [] };
  // Server CPU per decision: less sensitive than decisions/s to other work on a shared machine.
  const cpuPerDecision: Record<Side, number[]> = { off: [], on: [] };
  let scraped = { scrapes: 0, failures: 0, lastBytes: 0 };
  try {
    const agents = {
      off: await createPersonaAgents(servers.off.url, servers.off.adminToken, 20),
      on: await createPersonaAgents(servers.on.url, servers.on.adminToken, 20),
    };
    // Both servers warmed up (JIT, caches, SQLite pages) before the first measured round.
    for (const side of ['off', 'on'] as const) {
      await runDecideLoad({
        url: servers[side].url,
        concurrency: CONCURRENCY,
        warmupMs: 0,
        measureMs: 4 * WARMUP_MS,
        call: (n) => personaCall(agents[side], n),
      });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const side of order) {
        const load = (warmupMs: number, measureMs: number) =>
          runDecideLoad({
            url: servers[side].url,
            concurrency: CONCURRENCY,
            warmupMs,
            measureMs,
            headers: { traceparent: TRACEPARENT },
            call: (n) => personaCall(agents[side], n),
          });
        await load(0, WARMUP_MS);
        const scraper = side === 'on' ? startScraper(servers.on.url) : undefined;
        const cpuBefore = cpuMs(servers[side].pid);
        const result = await load(0, MEASURE_MS);
        const decisions = (result.rps * MEASURE_MS) / 1_000;
        cpuPerDecision[side].push(((cpuMs(servers[side].pid) - cpuBefore) * 1_000) / decisions);
        if (scraper) {
          const s = await scraper.stop();
          scraped = {
            scrapes: scraped.scrapes + s.scrapes,
            failures: scraped.failures + s.failures,
            lastBytes: s.lastBytes,
          };
        }
        runs[side].push(result);
        console.log(
          `round ${round + 1} ${side.padEnd(3)} c=${CONCURRENCY} p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  ${result.rps} decisions/s  server CPU ${Math.round(cpuPerDecision[side].at(-1) ?? 0)} µs/decision  errors ${result.errors}`,
        );
      }
    }
  } finally {
    await servers.off.stop();
    await servers.on.stop();
    await sink.close();
  }
  const median = (side: Side, pick: (r: LoadResult, i: number) => number) => medianOf(runs[side].map(pick));
  const figure = (side: Side) => ({
    rps: Math.round(median(side, (r) => r.rps)),
    p50_ms: median(side, (r) => r.p50_ms),
    p99_ms: median(side, (r) => r.p99_ms),
    errors: runs[side].reduce((sum, r) => sum + r.errors, 0),
    cpu_us: Math.round(median(side, (_r, i) => cpuPerDecision[side][i] ?? 0)),
  });
  const off = figure('off');
  const on = figure('on');
  const exported = sink.stats();
  const costPercent = Math.round((1 - on.rps / off.rps) * 1000) / 10;
  const cpuCostPercent = Math.round((on.cpu_us / off.cpu_us - 1) * 1000) / 10;
  const summary = {
    bench: 'observability',
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    measure_ms: MEASURE_MS,
    off_rps: off.rps,
    on_rps: on.rps,
    throughput_cost_percent: costPercent,
    off_cpu_us_per_decision: off.cpu_us,
    on_cpu_us_per_decision: on.cpu_us,
    cpu_cost_percent: cpuCostPercent,
    off_p50_ms: off.p50_ms,
    on_p50_ms: on.p50_ms,
    off_p99_ms: off.p99_ms,
    on_p99_ms: on.p99_ms,
    errors: off.errors + on.errors,
    spans_exported: exported.spans,
    otlp_requests: exported.requests,
    otlp_bytes: exported.bytes,
    scrapes: scraped.scrapes,
    scrape_failures: scraped.failures,
    metrics_bytes: scraped.lastBytes,
  };
  recordResult(
    `observability (decide over HTTP at concurrency ${CONCURRENCY}, SQLite synchronous=FULL; metrics and OTLP tracing off vs on, /metrics scraped every second, spans to a local OTLP/HTTP sink; ${ROUNDS} alternating rounds of ${MEASURE_MS / 1000} s, medians)`,
    [
      `off: ${off.rps} decisions/s, p50 ${off.p50_ms} ms, p99 ${off.p99_ms} ms, server CPU ${off.cpu_us} µs per decision`,
      `on: ${on.rps} decisions/s, p50 ${on.p50_ms} ms, p99 ${on.p99_ms} ms, server CPU ${on.cpu_us} µs per decision`,
      `cost of metrics and traces: ${costPercent} % of decisions/s, ${cpuCostPercent} % more server CPU per decision (target ≤ 5 %)`,
      `exported ${exported.spans} spans in ${exported.requests} OTLP requests; ${scraped.scrapes} scrapes of /metrics (${scraped.failures} failed)`,
      `JSON: \`${JSON.stringify(summary)}\``,
    ],
  );
  console.log(JSON.stringify(summary));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
