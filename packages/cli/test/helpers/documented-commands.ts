import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocumentedCommand {
  /** Where it is written: `docs/cli.md:42`. */
  readonly where: string;
  readonly line: string;
  /** The command words after `warden`: ['agents', 'list']. */
  readonly path: string[];
  /** The options it names: ['--owner', '--all']. */
  readonly flags: string[];
}

/** Every `warden …` (or `npx warden …`) line in the code blocks of the README and docs/*.md. */
export function documentedCommands(root: string): DocumentedCommand[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).map((name) => `docs/${name}`)];
  const commands: DocumentedCommand[] = [];
  for (const file of files.filter((name) => name.endsWith('.md'))) {
    const markdown = readFileSync(join(root, file), 'utf8');
    for (const block of markdown.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)) {
      const firstLine = markdown.slice(0, block.index).split('\n').length + 1;
      const lines = (block[1] ?? '').split('\n');
      lines.forEach((raw, i) => {
        // A command continued with a trailing backslash is one command.
        let text = raw;
        for (let j = i; text.endsWith('\\') && j + 1 < lines.length; j++)
          text = `${text.slice(0, -1)} ${lines[j + 1]}`;
        if (i > 0 && lines[i - 1]?.endsWith('\\')) return;
        const command = parse(text.replace(/\s#\s.*$/, '').trim());
        if (command) commands.push({ where: `${file}:${firstLine + i}`, line: raw.trim(), ...command });
      });
    }
  }
  return commands;
}

function parse(text: string): { path: string[]; flags: string[] } | undefined {
  const match = /^(?:[A-Z_]+=\S+\s+)*(?:[A-Z]+=\$\(\s*)?(?:npx\s+)?warden\s+(.*)$/.exec(text);
  if (!match?.[1]) return undefined;
  const words = match[1].split(/\s+/);
  const path: string[] = [];
  for (const word of words) {
    if (!/^[a-z][a-z-]*$/.test(word) || path.length === 3) break;
    path.push(word);
  }
  // Only the options of this command: a pipe or a second command on the line is not its business.
  const own = match[1].split(/\s(?:\||&&|;)\s/)[0] ?? '';
  const flags = [...own.matchAll(/(?:^|[\s[|(])(--[a-z][a-z-]*)/g)].map((m) => m[1] ?? '');
  return { path, flags: flags.filter((flag) => flag !== '--help') };
}
