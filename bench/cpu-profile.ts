/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per file or
 * package, as shares of the sampled time the process was not idle.
 * Usage: tsx bench/cpu-profile.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  /** Microseconds on the monotonic clock (the one `process.hrtime` reads, on Linux). */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Sampled time outside `(idle)`, in ms. */
  readonly busyMs: number;
  readonly functions: readonly Share[];
  readonly files: readonly Share[];
}
export interface Share {
  readonly name: string;
  readonly ms: number;
  readonly pct: number;
}

/** `window`: only samples between these monotonic times (µs), e.g. the measured part of a run. */
export function summariseProfile(
  path: string,
  top = 25,
  window?: { readonly fromUs: number; readonly toUs: number },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    // A sample's delta is the time since the previous one: it belongs to the sample it ends.
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    busy += us;
    const where = fileOf(frame.url);
    const name = `${frame.functionName || '(anonymous)'} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const group = where || frame.functionName;
    file.set(group, (file.get(group) ?? 0) + us);
  });
  const shares = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 100) / 10,
        pct: Math.round((us / busy) * 1000) / 10,
      }));
  return { busyMs: Math.round(busy / 1000), functions: shares(fn), files: shares(file) };
}

/** A short place: `pkg` for a dependency, the path inside the repository, or `node:…`. */
function fileOf(url: string): string {
  if (!url) return '';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep?.[1] && !url.includes('/node_modules/@warden/')) return dep[1];
  const own = /\/(packages\/[^?]+)$/.exec(url);
  if (own?.[1]) return own[1];
  return url.replace(/^file:\/\//, '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [path, top] = process.argv.slice(2);
  if (!path) throw new Error('usage: tsx bench/cpu-profile.ts <file.cpuprofile> [top]');
  const summary = summariseProfile(path, Number(top ?? 25));
  console.log(`busy ${summary.busyMs} ms sampled\n\nself time by file/package:`);
  for (const s of summary.files) console.log(`  ${String(s.pct).padStart(5)} %  ${s.ms} ms  ${s.name}`);
  console.log('\nself time by function:');
  for (const s of summary.functions) console.log(`  ${String(s.pct).padStart(5)} %  ${s.ms} ms  ${s.name}`);
}
