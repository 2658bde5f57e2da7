import { EXIT, paint } from '../io.js';
import { checkId, checkText, positional, stringOf } from './agents-args.js';
import { type AgentsCommand, objectField, printJson, text } from './agents-format.js';

/** `warden agents reset-breaker <agt_id> [--comment <text>]`: a human closes a tripped circuit breaker. */
export const resetBreaker: AgentsCommand = {
  help: `Usage: warden agents reset-breaker <agt_id> [--comment <text>]

Resets an agent's tripped circuit breaker, so its calls are decided again. The breaker trips
when the agent spends much faster than its baseline; reset it once the spend is understood.
Allowed to an admin, security, or the agent's owner. The comment, if given, is recorded in
the audit log.
`,
  options: { comment: { type: 'string' } },
  positionals: ['agent id'],
  prepare(values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'reset-breaker'));
    const given = stringOf(values, 'comment');
    const body = given === undefined ? {} : { comment: checkText('--comment', given) };
    return async (api, io, json) => {
      const response = await api.request('POST', `/v1/agents/${id}/breaker/reset`, body);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const agent = objectField(response, 'agent');
      io.out(
        `${paint(io, 'green', 'reset the circuit breaker of agent')} ${text(agent.id)} (${text(agent.name)}): its calls are decided again\n`,
      );
      return EXIT.ok;
    };
  },
};
