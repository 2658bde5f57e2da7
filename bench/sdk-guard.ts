/**
 * SDK benchmark: what `guard()` of @warden/sdk adds over the same work done by hand. Both paths run
 * against one `warden up` process (SQLite, synchronous=FULL, the SDK examples' policy) from this
 * process, with Node's fetch: the raw path POSTs /v1/decide, checks the effect, runs the tool (a
 * no-op) and POSTs its outcome; the guarded path calls a `warden.guard()`-wrapped no-op, which does
 * the same plus argument validation, task context and timing. 16 workers, each its own agent,
 * alternate rounds (raw, guard, guard, raw, …) so drift of a shared machine hits both alike.
 * `added_pct` compares the throughput of each path over all its rounds; latencies are medians over
 * rounds; this process's CPU per call is the client's own cost, the part that differs.
 * Uses the built SDK (`npm run bench:sdk` builds first).
 * Flags: --calls N per round (default 4000), --rounds N (default 6), --concurrency N (default 16).
 * Last line: {"bench":"sdk-guard","added_pct":…,…}
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Warden } from '@warden/sdk';
import { createBenchAgents, ROOT, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '16' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const WARMUP_CALLS = 500;

type Path = 'raw' | 'guard';
interface Run {
  readonly calls_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly seconds: number;
  /** This process's CPU (user + system) per call: the client's own cost, which is what differs. */
  readonly client_cpu_us: number;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const round3 = (x: number) => Number(x.toFixed(3));

/** The tool both paths run: nothing, so the difference is the client's own cost. */
const lookup = async (input: { orderId: string }) => ({ orderId: input.orderId, status: 'shipped' });

/** decide → check → run → outcome, by hand. */
function rawCall(url: string, key: string) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return async (orderId: string) => {
    const res = await fetch(`${url}/v1/decide`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ tool: 'orders.lookup', args: { orderId } }),
    });
    const decision = (await res.json()) as { effect: string; decisionId: string };
    if (res.status !== 200 || decision.effect !== 'allow') throw new Error(`raw decide: ${res.status}`);
    const started = performance.now();
    await lookup({ orderId });
    const outcome = await fetch(`${url}/v1/decisions/${decision.decisionId}/outcome`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ status: 'succeeded', durationMs: Math.round(performance.now() - started) }),
    });
    await outcome.arrayBuffer();
    if (outcome.status !== 200) throw new Error(`raw outcome: ${outcome.status}`);
  };
}

function guardCall(url: string, key: string) {
  const warden = new Warden({
    url,
    agentKey: key,
    onOutcomeError: (error) => {
      throw error;
    },
  });
  const guarded = warden.guard('orders.lookup', lookup);
  return async (orderId: string) => {
    await guarded({ orderId });
  };
}

async function measure(workers: ((orderId: string) => Promise<void>)[], calls: number): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    workers.map(async (call) => {
      while (next < calls) {
        const n = next++;
        const t0 = performance.now();
        await call(`o-${n}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    calls_per_s: Math.round(calls / seconds),
    p50_ms: round3(quantile(latencies, 0.5)),
    p99_ms: round3(quantile(latencies, 0.99)),
    seconds,
    client_cpu_us: Math.round((used.user + used.system) / calls),
  };
}

async function main() {
  const server = await startBenchServer('sqlite', { WARDEN_POLICY_DIR: join(ROOT, 'examples/sdk/policies') });
  try {
    const agents = await createBenchAgents(
      server.url,
      server.adminToken,
      CONCURRENCY,
      () => 'shop-assistant',
    );
    const paths: Record<Path, ((orderId: string) => Promise<void>)[]> = {
      raw: agents.map((a) => rawCall(server.url, a.key)),
      guard: agents.map((a) => guardCall(server.url, a.key)),
    };
    for (const path of ['raw', 'guard'] as const) await measure(paths[path], WARMUP_CALLS);
    const runs: Record<Path, Run[]> = { raw: [], guard: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Path[] = round % 2 === 0 ? ['raw', 'guard'] : ['guard', 'raw'];
      for (const path of order) {
        const r = await measure(paths[path], CALLS);
        runs[path].push(r);
        console.log(
          `round ${round + 1} ${path.padEnd(5)} c=${CONCURRENCY} ${r.calls_per_s} calls/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  client CPU ${r.client_cpu_us} µs/call`,
        );
      }
    }
    const of = (path: Path, field: keyof Run) => round3(median(runs[path].map((r) => r[field])));
    // Throughput over all rounds of a path (every call, all the time it took), then the ratio;
    // and, as a check on drift, the median of each round's own ratio.
    const overall = (path: Path) => (CALLS * ROUNDS) / runs[path].reduce((sum, r) => sum + r.seconds, 0);
    const paired = runs.guard.map((g, i) => (runs.raw[i]?.calls_per_s ?? g.calls_per_s) / g.calls_per_s - 1);
    const summary = {
      bench: 'sdk-guard',
      added_pct: round3((overall('raw') / overall('guard') - 1) * 100),
      added_pct_paired_median: round3(median(paired) * 100),
      concurrency: CONCURRENCY,
      calls: CALLS,
      rounds: ROUNDS,
      raw_calls_per_s: Math.round(overall('raw')),
      guard_calls_per_s: Math.round(overall('guard')),
      raw_p50_ms: of('raw', 'p50_ms'),
      guard_p50_ms: of('guard', 'p50_ms'),
      raw_p99_ms: of('raw', 'p99_ms'),
      guard_p99_ms: of('guard', 'p99_ms'),
      raw_client_cpu_us_per_call: of('raw', 'client_cpu_us'),
      guard_client_cpu_us_per_call: of('guard', 'client_cpu_us'),
    };
    recordResult(
      `sdk-guard (guard() of @warden/sdk vs the same decide + outcome by hand with Node's fetch, against warden up on SQLite synchronous=FULL; concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds of ${CALLS} calls, medians)`,
      [
        `by hand: ${summary.raw_calls_per_s} calls/s, p50 ${summary.raw_p50_ms} ms, p99 ${summary.raw_p99_ms} ms, client CPU ${summary.raw_client_cpu_us_per_call} µs per call`,
        `guard(): ${summary.guard_calls_per_s} calls/s, p50 ${summary.guard_p50_ms} ms, p99 ${summary.guard_p99_ms} ms, client CPU ${summary.guard_client_cpu_us_per_call} µs per call`,
        `added by guard(): ${summary.added_pct} % of the time per call over all rounds (median of each round's own ratio: ${summary.added_pct_paired_median} %); target ≤ 5 %`,
        `JSON: \`${JSON.stringify(summary)}\``,
      ],
    );
    console.log(JSON.stringify(summary));
  } finally {
    await server.stop();
  }
}

await main();
