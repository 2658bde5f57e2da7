import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cliDir = resolve(import.meta.dirname, '..');
const root = resolve(cliDir, '../..');
const TSX = join(root, 'node_modules/tsx/dist/loader.mjs');

/**
 * npm links the `warden` bin during `npm ci`, before anything is built; a bin that points into
 * dist/ is not linked at all and `npx warden` fails with "could not determine executable to run".
 */
async function binTarget(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(cliDir, 'package.json'), 'utf8'));
  return resolve(cliDir, manifest.bin.warden);
}

/** The launcher copied into `dir`/bin, in a package that is an ES module like ours. */
async function launcherIn(dir: string): Promise<string> {
  const copy = join(dir, 'bin/warden.js');
  await mkdir(dirname(copy), { recursive: true });
  await copyFile(await binTarget(), copy);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  return copy;
}

function runNode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: root }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'warden-bin-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the warden bin', () => {
  it('is a file of the repository, outside the build output, and executable', async () => {
    const target = await binTarget();
    expect(target.startsWith(join(cliDir, 'dist'))).toBe(false);
    const info = await stat(target);
    expect(info.isFile()).toBe(true);
    expect(info.mode & 0o111).not.toBe(0);
    expect((await readFile(target, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('before a build, says to build instead of failing obscurely', async () => {
    const copy = await launcherIn(join(scratch, 'unbuilt'));
    const result = await runNode([copy, '--help']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('warden: the command is not built yet. Run "npm run build"');
  });

  it('after a build, runs the command with its arguments', async () => {
    // A build in miniature: dist/bin.js is the CLI (from its sources, as every test runs it).
    const copy = await launcherIn(join(scratch, 'built'));
    await mkdir(join(scratch, 'built/dist'), { recursive: true });
    const source = pathToFileURL(join(cliDir, 'src/bin.ts')).href;
    await writeFile(join(scratch, 'built/dist/bin.js'), `import '${source}';\n`);
    const args = ['--conditions=@warden/source', '--import', pathToFileURL(TSX).href, copy];
    const help = await runNode([...args, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: warden <command> [options]');
    const up = await runNode([...args, 'up', '--help']);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('Usage: warden up [--demo]');
  }, 60_000);
});
