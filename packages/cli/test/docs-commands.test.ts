import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { documentedCommands } from './helpers/documented-commands.js';

/**
 * Every `warden …` line in the README and docs/*.md names a command that exists, with options that
 * command has. Most of them are synopses with placeholders, so they cannot run; the README's
 * five-minute tour, which can, runs for real in readme.test.ts.
 */

const root = resolve(import.meta.dirname, '../../..');

async function cli(argv: string[]) {
  let out = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (out += t), color: false, cwd: root });
  return { code, out };
}

describe('warden commands in the docs', () => {
  const commands = documentedCommands(root);

  it('finds the documented commands', () => {
    expect(commands.length).toBeGreaterThan(50);
    expect(commands.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining([
        'agents list',
        'approvals approve',
        'budgets rate-limits set',
        'kill tenant',
        'up',
      ]),
    );
  });

  it('each names a real command and only options it has', async () => {
    const wrong: string[] = [];
    for (const command of commands) {
      if (command.path.length === 0) {
        // `warden --help`, `warden --version`: the flag is the command.
        for (const flag of command.flags)
          if ((await cli([flag])).code !== 0) wrong.push(`${command.where}: ${flag}`);
        continue;
      }
      const help = await cli([...command.path, '--help']);
      if (help.code !== 0) {
        wrong.push(`${command.where}: "warden ${command.path.join(' ')}" is not a command`);
        continue;
      }
      const unknown = command.flags.filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(help.out));
      if (unknown.length > 0) wrong.push(`${command.where}: ${unknown.join(', ')} not in "${command.line}"`);
    }
    expect(wrong).toEqual([]);
  });
});
