import { type ApiClient, createClient, isRecord, RequestFailed } from '../http-client.js';
import { type CliIo, EXIT, paint } from '../io.js';
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
    options:
      verdict === 'approve'
        ? { comment: { type: 'string' }, reauth: { type: 'boolean' } }
        : { comment: { type: 'string' } },
    positionals: ['approval id'],
    prepare(values, positionals) {
      const id = approvalId(positionals, verdict);
      const comment = commentOf(values);
      const reauth = values.reauth === true;
      return async (connection, io, json) => {
        const client = createClient(connection);
        const proof = reauth ? await reauthenticate(client, io, id) : undefined;
        // Always a JSON object: `{}` is what the route expects when there is nothing to say.
        const body = {
          ...(comment === undefined ? {} : { comment }),
          ...(proof ? { reauthProof: proof } : {}),
        };
        const response = await client.request('POST', `/v1/approvals/${id}/${verdict}`, body);
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

/**
 * Step-up re-authentication: asks for the human's re-authentication secret (never a flag), has
 * the server mint a proof for this request, and answers it for the approval that follows at once.
 */
async function reauthenticate(client: ApiClient, io: CliIo, id: string): Promise<string> {
  if (!io.readSecret)
    throw new RequestFailed('error: --reauth needs a terminal or stdin to read your secret from');
  const secret = await io.readSecret('Re-authentication secret: ');
  if (secret === '') throw new RequestFailed('error: no re-authentication secret given');
  const minted = await client.request('POST', `/v1/approvals/${id}/reauth`, { secret });
  const proof = isRecord(minted) && isRecord(minted.reauth) ? minted.reauth.proof : undefined;
  if (typeof proof !== 'string')
    throw new RequestFailed('error: unexpected response from the server: no proof');
  return proof;
}

export const approve = vote(
  'approve',
  `Usage: warden approvals approve <apr_id> [--comment <text>] [--reauth]

Approves the current step of a request as yourself. The request is approved once its last step
has its approvals. Refused when you are not an approver of the step (forbidden), when separation
of duties keeps you out (separation_of_duties), when the step asks you to re-authenticate and you
did not (reauth_required), or when it is already settled (conflict).

  --comment <text>   why (recorded with your vote and in the audit log; at most 2000 characters)
  --reauth           re-authenticate first: asks for your re-authentication secret (typed, or the
                     first line of stdin), then approves with the short-lived proof it gets. Needed
                     when a step asks the initiator to re-authenticate; set the secret once with
                     "warden me reauth-secret"
`,
);

export const deny = vote(
  'deny',
  `Usage: warden approvals deny <apr_id> [--comment <text>]

Denies a request: one denial settles it, whatever step it is at. Refused like approve.

  --comment <text>   why (recorded with your vote, shown to the agent; at most 2000 characters)
`,
);
