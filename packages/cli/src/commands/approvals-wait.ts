import { type ApiClient, createClient } from '../http-client.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { checkInteger, stringOf } from './agents-args.js';
import { objectField, printJson, text } from './agents-format.js';
import { type ApprovalsCommand, approvalId } from './approvals-args.js';
import { relative } from './approvals-format.js';

const DEFAULT_TIMEOUT_SECONDS = 300;
/** Each long-poll stays well inside the client's 30 s request timeout; we poll again until ours ends. */
const POLL_SECONDS = 25;

export const wait: ApprovalsCommand = {
  help: `Usage: warden approvals wait <apr_id> [--timeout <seconds>]

Waits, as the requesting agent, until a human settles the request, then prints its status.
Needs that agent's key (wdn_a_…) as --token or WARDEN_TOKEN: a human token cannot wait.
Exits 0 when the request is approved, 1 when it is denied, expired or cancelled, or still
pending when the timeout ends.

  --timeout <seconds>   how long to wait (default ${DEFAULT_TIMEOUT_SECONDS}; 0 checks once)
`,
  options: { timeout: { type: 'string' } },
  positionals: ['approval id'],
  prepare(values, positionals) {
    const id = approvalId(positionals, 'wait');
    const given = stringOf(values, 'timeout');
    const timeout = given === undefined ? DEFAULT_TIMEOUT_SECONDS : checkInteger('--timeout', given, 0);
    return async (connection, io, json) => {
      // The route is the agent's own; say so before the server answers with a bare refusal.
      if (connection.token.startsWith('wdn_u_')) {
        throw new UsageError(
          'approvals wait: this is a human token; waiting needs the requesting agent\'s key (wdn_a_…) as --token or WARDEN_TOKEN (humans: use "warden approvals show")',
        );
      }
      return waitFor(createClient(connection), io, json, id, timeout);
    };
  },
};

async function waitFor(api: ApiClient, io: CliIo, json: boolean, id: string, timeout: number) {
  const until = Date.now() + timeout * 1000;
  for (;;) {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    const seconds = Math.min(POLL_SECONDS, left);
    const response = await api.request('GET', `/v1/approvals/${id}/wait?timeoutSeconds=${seconds}`);
    const approval = objectField(response, 'approval');
    const status = text(approval.status);
    if (status !== 'pending' || left <= seconds) {
      if (json) printJson(io, response);
      if (status === 'pending') {
        if (!json)
          io.err(
            `${id} still pending after ${timeout}s (deadline ${relative(approval.deadline, Date.now())})\n`,
          );
        return EXIT.failed;
      }
      if (!json) io.out(`${settledLine(io, approval, status)}\n`);
      return status === 'approved' ? EXIT.ok : EXIT.failed;
    }
  }
}

function settledLine(io: CliIo, approval: Record<string, unknown>, status: string): string {
  const comment = approval.comment ? `: ${text(approval.comment)}` : '';
  const until = approval.grantExpiresAt ? ` (run it before ${text(approval.grantExpiresAt)})` : '';
  return paint(
    io,
    status === 'approved' ? 'green' : 'red',
    `${text(approval.id)} ${status}${comment}${until}`,
  );
}
