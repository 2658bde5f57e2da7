import { EXIT, paint } from '../io.js';
import { checkId, checkText, positional, required, stringOf } from './agents-args.js';
import { type AgentsCommand, objectField, printJson, text } from './agents-format.js';

type Transition = 'activate' | 'suspend' | 'resume' | 'retire';

const DONE: Record<Transition, string> = {
  activate: 'activated',
  suspend: 'suspended',
  resume: 'resumed',
  retire: 'retired',
};

/** activate, suspend, resume and retire differ only in their path, help and reason flag. */
function transition(name: Transition, help: string, reason: 'none' | 'required' | 'optional'): AgentsCommand {
  return {
    help,
    options: reason === 'none' ? {} : { reason: { type: 'string' } },
    positionals: ['agent id'],
    prepare(values, positionals) {
      const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', name));
      const given = reason === 'required' ? required(values, 'reason', name) : stringOf(values, 'reason');
      // Always a JSON object: the routes may declare a body schema, and `{}` satisfies an empty one.
      const body = given === undefined ? {} : { reason: checkText('--reason', given) };
      return async (api, io, json) => {
        const response = await api.request('POST', `/v1/agents/${id}/${name}`, body);
        if (json) {
          printJson(io, response);
          return EXIT.ok;
        }
        const agent = objectField(response, 'agent');
        io.out(
          `${paint(io, 'green', `${DONE[name]} agent`)} ${text(agent.id)} (${text(agent.name)}): status ${text(agent.status)}\n`,
        );
        return EXIT.ok;
      };
    },
  };
}

export const activate = transition(
  'activate',
  `Usage: warden agents activate <agt_id>

Activates a pending agent (an admin's decision for agents handling pii, financial or phi data).
`,
  'none',
);

export const suspend = transition(
  'suspend',
  `Usage: warden agents suspend <agt_id> --reason <text>

Suspends an agent at once: every call it makes is denied until it is resumed. The reason is
recorded in the audit log.
`,
  'required',
);

export const resume = transition(
  'resume',
  `Usage: warden agents resume <agt_id>

Resumes a suspended agent.
`,
  'none',
);

export const retire = transition(
  'retire',
  `Usage: warden agents retire <agt_id> [--reason <text>]

Retires an agent that is no longer needed; a retired agent cannot act. The reason, if given,
is recorded in the audit log.
`,
  'optional',
);
