import { type ApiClient, createClient, isRecord, RequestFailed } from '../http-client.js';
import { EXIT } from '../io.js';
import { printJson } from './agents-format.js';
import { type ApprovalsCommand, approvalId } from './approvals-args.js';
import { records } from './approvals-format.js';
import { type People, showApproval } from './approvals-show-format.js';

export const show: ApprovalsCommand = {
  help: `Usage: warden approvals show <apr_id>

Prints everything needed to decide a request: the agent, the call and its (redacted) arguments,
the rule and its reason, the agent's reasoning and recommendation, its spend, who asked and for
whom, the steps, who may decide now and who may not, the votes, the deadline, and the outcome.
`,
  options: {},
  positionals: ['approval id'],
  prepare(_values, positionals) {
    const id = approvalId(positionals, 'show');
    return async (connection, io, json) => {
      const api = createClient(connection);
      const approval = await api.request('GET', `/v1/approvals/${id}`);
      if (json) {
        printJson(io, approval);
        return EXIT.ok;
      }
      if (!isRecord(approval))
        throw new RequestFailed('error: unexpected response from the server: no approval object');
      io.out(showApproval(io, approval, await people(api), Date.now()));
      return EXIT.ok;
    };
  },
};

/**
 * Names for the human ids in a request, and who "you" are. Only a nicety: a token that may not list
 * humans still gets the request, with ids instead of names.
 */
async function people(api: ApiClient): Promise<People> {
  const optional = (path: string) =>
    api.request('GET', path).catch((error: unknown) => {
      if (error instanceof RequestFailed) return undefined;
      throw error;
    });
  const [humans, me] = await Promise.all([optional('/v1/humans'), optional('/v1/me')]);
  const names = new Map<string, string>();
  for (const human of records(isRecord(humans) ? humans.humans : undefined)) {
    if (typeof human.id === 'string') names.set(human.id, `${String(human.name)} <${String(human.email)}>`);
  }
  const myId = isRecord(me) && isRecord(me.human) ? me.human.id : undefined;
  return { names, me: typeof myId === 'string' ? myId : undefined };
}
