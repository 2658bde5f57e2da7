import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** One line describing the machine a benchmark ran on, for bench/RESULTS.md. */
export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown CPU';
  const memGiB = Math.round(totalmem() / 2 ** 30);
  return `${cores.length} × ${model}, ${memGiB} GiB RAM, ${process.platform}/${process.arch}, Node ${process.version}`;
}

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

/** Appends one benchmark run (a markdown section) to bench/RESULTS.md. */
export function recordResult(title: string, lines: readonly string[]): void {
  if (!existsSync(RESULTS))
    writeFileSync(
      RESULTS,
      '# Benchmark results\n\nEach run appends its figures and the machine it ran on.\n',
    );
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  appendFileSync(
    RESULTS,
    `\n## ${title}: ${when}\n\nMachine: ${describeMachine()}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`,
  );
}
