import {
  formatIssue,
  lintApproversAgainst,
  lintBundle,
  type PolicyBundle,
  type PolicyIssue,
} from '@warden/policy';
import { createClient, isRecord, RequestFailed, resolveConnection } from '../http-client.js';
import { type CliIo, EXIT, paint } from '../io.js';
import { loadOrReport } from './load.js';

export const LINT_HELP = `Usage: warden policy lint <dir> [--server [--url <url>] [--token <token>]]

Loads and type-checks the policy bundle in <dir>, then warns about rules that can never match
(a condition that is always false, a tool glob matching nothing in the bundle's ToolCatalog),
allow rules shadowed by an unconditional deny, and review rules without approvers.
Exit 1 when the bundle has errors; warnings alone exit 0.

  --server          also ask a Warden server for its tenant's groups and humans, and warn about
                    approvers it cannot route: a group:<name> it does not have (or with no active
                    member), a user:<name> that names nobody or several people. The groups
                    "security" and "legal" are not reported: the server falls back to roles.
  --url <url>       the server (default: WARDEN_URL, else http://127.0.0.1:7420)
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file .warden/admin-token)
`;

/** The server the bundle is checked against (`--server`). */
export interface LintServer {
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The names the server falls back to roles for when no such group exists (its defaults). */
const FALLBACK_GROUPS = ['security', 'legal'];

export async function policyLint(io: CliIo, dir: string, server?: LintServer): Promise<number> {
  const bundle = await loadOrReport(io, dir);
  if (!bundle) return EXIT.failed;
  const warnings = lintBundle(bundle);
  if (server) {
    try {
      warnings.push(...(await serverWarnings(io, bundle, server)));
    } catch (error) {
      if (!(error instanceof RequestFailed)) throw error;
      io.err(`${error.message}\n`);
      return EXIT.failed;
    }
  }
  for (const warning of warnings) io.out(`${paint(io, 'yellow', formatIssue(warning))}\n`);
  const policies = bundle.policies.length;
  io.out(
    `${dir}: ${policies} polic${policies === 1 ? 'y' : 'ies'}, ${bundle.ruleCount} rule${bundle.ruleCount === 1 ? '' : 's'}, version ${bundle.version.slice(0, 12)}: ` +
      `0 errors, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}\n`,
  );
  return EXIT.ok;
}

/** The tenant's groups and active humans, read from the server, against the bundle's approvers. */
async function serverWarnings(io: CliIo, bundle: PolicyBundle, server: LintServer): Promise<PolicyIssue[]> {
  const client = createClient(
    await resolveConnection({ url: server.url, token: server.token }, server.env, io.cwd),
  );
  const humansBody = await client.request('GET', '/v1/humans?status=active');
  const groupsBody = await client.request('GET', '/v1/groups');
  const humans = (isRecord(humansBody) && Array.isArray(humansBody.humans) ? humansBody.humans : []) as {
    id: string;
    email: string;
    name: string;
  }[];
  const active = new Set(humans.map((h) => h.id));
  const groups = (isRecord(groupsBody) && Array.isArray(groupsBody.groups) ? groupsBody.groups : []) as {
    name: string;
    members: { humanId: string }[];
  }[];
  return lintApproversAgainst(bundle, {
    humans,
    groups: groups.map((g) => ({
      name: g.name,
      members: g.members.filter((m) => active.has(m.humanId)).length,
    })),
    fallbackGroups: FALLBACK_GROUPS,
  });
}
