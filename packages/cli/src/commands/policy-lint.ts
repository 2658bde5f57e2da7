import { formatIssue, lintBundle } from '@warden/policy';
import { type CliIo, EXIT, paint } from '../io.js';
import { loadOrReport } from './load.js';

export const LINT_HELP = `Usage: warden policy lint <dir>

Loads and type-checks the policy bundle in <dir>, then warns about rules that can never match
(a condition that is always false, a tool glob matching nothing in the bundle's ToolCatalog),
allow rules shadowed by an unconditional deny, and review rules without approvers.
Exit 1 when the bundle has errors; warnings alone exit 0.
`;

export async function policyLint(io: CliIo, dir: string): Promise<number> {
  const bundle = await loadOrReport(io, dir);
  if (!bundle) return EXIT.failed;
  const warnings = lintBundle(bundle);
  for (const warning of warnings) io.out(`${paint(io, 'yellow', formatIssue(warning))}\n`);
  const policies = bundle.policies.length;
  io.out(
    `${dir}: ${policies} polic${policies === 1 ? 'y' : 'ies'}, ${bundle.ruleCount} rule${bundle.ruleCount === 1 ? '' : 's'}, version ${bundle.version.slice(0, 12)}: ` +
      `0 errors, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}\n`,
  );
  return EXIT.ok;
}
