import { isRecord } from '../http-client.js';
import { EXIT } from '../io.js';
import { checkId, positional } from './agents-args.js';
import { type AgentsCommand, agentLines, objectField, printJson, table, text } from './agents-format.js';

export const show: AgentsCommand = {
  help: `Usage: warden agents show <agt_id>

Prints one agent and the sub-agents it has spawned.
`,
  options: {},
  positionals: ['agent id'],
  prepare(_values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'show'));
    return async (api, io, json) => {
      const response = await api.request('GET', `/v1/agents/${id}`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const agent = objectField(response, 'agent');
      const listed = (response as { children?: unknown }).children;
      const children = Array.isArray(listed) ? listed.filter(isRecord) : [];
      io.out(agentLines(agent, [['children', children.length === 0 ? 'none' : String(children.length)]]));
      if (children.length > 0) {
        const rows = children.map((child) => [text(child.id), text(child.name), text(child.status)]);
        io.out(`\n${table(io, ['CHILD', 'NAME', 'STATUS'], rows)}`);
      }
      return EXIT.ok;
    };
  },
};
