import { resolve } from 'node:path';
import { formatIssue, loadBundle, type PolicyBundle } from '@warden/policy';
import { type CliIo, paint } from '../io.js';

/** Loads the bundle for a command, printing every load error; undefined when it did not load. */
export async function loadOrReport(io: CliIo, dir: string): Promise<PolicyBundle | undefined> {
  const result = await loadBundle(resolve(io.cwd, dir));
  if (result.ok) return result.bundle;
  for (const issue of result.issues) io.err(`${paint(io, 'red', formatIssue(issue))}\n`);
  const count = result.issues.filter((i) => i.severity === 'error').length;
  io.err(`${dir}: bundle rejected (${count} error${count === 1 ? '' : 's'}); nothing was loaded\n`);
  return undefined;
}
