import { createClient, isRecord, RequestFailed } from '../http-client.js';
import { EXIT, UsageError } from '../io.js';
import { checkText, stringOf } from './agents-args.js';
import { printJson } from './agents-format.js';
import type { AuditCommand } from './audit.js';

export const auditShred: AuditCommand = {
  help: `Usage: warden audit shred --subject <identifier>

Erases a data subject (admin, security): the subject's key is destroyed, so every value sealed
with it (the fields named by WARDEN_AUDIT_SUBJECT_PATHS) reads as [shredded] from now on. The
log's hashes and proofs do not change, and the request is itself audited, naming the subject only
by its key id. This cannot be undone.

  --subject <identifier>   the identifier as it appeared in the data (e.g. a customer id)
`,
  options: { subject: { type: 'string' } },
  prepare(values) {
    const given = stringOf(values, 'subject');
    if (given === undefined) throw new UsageError('audit shred: --subject is required');
    const subject = checkText('--subject', given);
    return async (connection, io, json) => {
      const answer = await createClient(connection).request('POST', '/v1/audit/shred', { subject });
      if (json) {
        printJson(io, answer);
        return EXIT.ok;
      }
      if (!isRecord(answer) || typeof answer.keyId !== 'string' || typeof answer.destroyed !== 'boolean')
        throw new RequestFailed('error: unexpected response from the server: no "keyId" and "destroyed"');
      io.out(
        answer.destroyed
          ? `shredded: the subject's key ${answer.keyId} is destroyed\n`
          : `already shredded: the subject's key ${answer.keyId} was destroyed before\n`,
      );
      return EXIT.ok;
    };
  },
};
