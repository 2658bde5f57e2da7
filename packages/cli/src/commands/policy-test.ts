import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  formatIssue,
  isPolicyTestFile,
  listFiles,
  readTestFile,
  runCase,
  toBundlePath,
} from '@warden/policy';
import { type CliIo, EXIT, paint } from '../io.js';
import { loadOrReport } from './load.js';

export const TEST_HELP = `Usage: warden policy test <dir>

Runs every *.test.yaml file under <dir> against the policy bundle in <dir>. Each case names an
agent, a tool, arguments and context, and the decision it expects. Ends with "N passed, N failed";
exit 1 on any failure, on a test file that does not parse, or when no test case was found.
`;

export async function policyTest(io: CliIo, dir: string): Promise<number> {
  const bundle = await loadOrReport(io, dir);
  if (!bundle) return EXIT.failed;
  const root = resolve(io.cwd, dir);
  const listed = await listFiles(root, isPolicyTestFile);
  if (!listed.ok) {
    io.err(`${dir}: ${listed.message}\n`);
    return EXIT.failed;
  }
  let passed = 0;
  let failed = 0;
  for (const path of listed.paths) {
    const name = toBundlePath(root, path);
    const { cases, issues } = readTestFile(name, await readFile(path, 'utf8'));
    io.out(`${paint(io, 'bold', name)}\n`);
    for (const issue of issues) {
      io.out(`  ${paint(io, 'red', '✗')} ${formatIssue(issue)}\n`);
      failed++;
    }
    for (const testCase of cases) {
      const result = runCase(bundle, testCase);
      if (result.failures.length === 0) {
        passed++;
        io.out(
          `  ${paint(io, 'green', '✓')} ${testCase.name} ${paint(io, 'dim', `(${result.decision.effect})`)}\n`,
        );
      } else {
        failed++;
        io.out(
          `  ${paint(io, 'red', '✗')} ${testCase.name} ${paint(io, 'dim', `(${name}:${testCase.line})`)}\n`,
        );
        for (const failure of result.failures) io.out(`      ${failure}\n`);
      }
    }
  }
  if (passed + failed === 0) {
    io.err(`${dir}: no policy test cases found (files named *.test.yaml)\n`);
    return EXIT.failed;
  }
  const summary = `${passed} passed, ${failed} failed`;
  io.out(`\n${paint(io, failed > 0 ? 'red' : 'green', summary)}\n`);
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
