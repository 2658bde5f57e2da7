import { createClient, isRecord, RequestFailed } from '../http-client.js';
import { EXIT, paint } from '../io.js';
import { printJson } from './agents-format.js';
import { type ApprovalsCommand, approvalId, commentOf } from './approvals-args.js';
import { voteOutcome } from './approvals-format.js';

/**
 * approve and deny differ only in their verdict. A refusal (not your step, separation of duties,
 * already settled) is the server's error: message and code on stderr, exit 1, like every command.
 */
function vote(verdict: 'approve' | 'deny', help: string): ApprovalsCommand {
  return {
    help,
    options: { comment: { type: 'string' } },
    positionals: ['approval id'],
    prepare(values, positionals) {
      const id = approvalId(positionals, verdict);
      const comment = commentOf(values);
      // Always a JSON object: `{}` is what the route expects when there is nothing to say.
      const body = comment === undefined ? {} : { comment };
      return async (connection, io, json) => {
        const response = await createClient(connection).request(
          'POST',
          `/v1/approvals/${id}/${verdict}`,
          body,
        );
        if (json) {
          printJson(io, response);
          return EXIT.ok;
        }
        if (!isRecord(response))
          throw new RequestFailed('error: unexpected response from the server: no approval object');
        const line = voteOutcome(response, verdict);
        io.out(`${paint(io, verdict === 'approve' ? 'green' : 'red', line)}\n`);
        return EXIT.ok;
      };
    },
  };
}

export const approve = vote(
  'approve',
  `Usage: warden approvals approve <apr_id> [--comment <text>]

Approves the current step of a request as yourself. The request is approved once its last step
has its approvals. Refused when you are not an approver of the step (forbidden), when separation
of duties keeps you out (separation_of_duties), or when it is already settled (conflict).

  --comment <text>   why (recorded with your vote and in the audit log; at most 2000 characters)
`,
);

export const deny = vote(
  'deny',
  `Usage: warden approvals deny <apr_id> [--comment <text>]

Denies a request: one denial settles it, whatever step it is at. Refused like approve.

  --comment <text>   why (recorded with your vote, shown to the agent; at most 2000 characters)
`,
);
