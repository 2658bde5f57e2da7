/**
 * A build of another commit to measure against: a detached git worktree outside the repository,
 * its dependencies (hard links of ours when its package-lock.json is the same as ours, else
 * `npm ci`) and `npm run build`. `remove()` takes the worktree away again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './http-load.js';

export interface BaselineBuild {
  readonly ref: string;
  /** The resolved commit. */
  readonly commit: string;
  /** The worktree, with its build in packages/\*\/dist. */
  readonly root: string;
  remove(): void;
}

export function buildBaseline(ref: string, log: (line: string) => void = console.log): BaselineBuild {
  const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const parent = mkdtempSync(join(tmpdir(), 'warden-baseline-'));
  const root = join(parent, 'warden');
  const remove = () => {
    try {
      git('worktree', 'remove', '--force', root);
    } catch {
      // Not registered (the add failed): the directory alone goes below.
    }
    rmSync(parent, { recursive: true, force: true });
  };
  try {
    log(`baseline ${ref} (${commit.slice(0, 12)}): worktree in ${root}`);
    git('worktree', 'add', '--detach', root, commit);
    const sameLock =
      existsSync(join(ROOT, 'package-lock.json')) &&
      readFileSync(join(ROOT, 'package-lock.json'), 'utf8') ===
        readFileSync(join(root, 'package-lock.json'), 'utf8');
    if (sameLock) {
      log('baseline: same package-lock.json, hard-linking node_modules');
      // The workspace links (node_modules/@warden/*) are relative, so they point into the baseline.
      execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(root, 'node_modules')]);
    } else {
      log('baseline: package-lock.json differs, npm ci');
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
    }
    log('baseline: npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    return { ref, commit, root, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Stops a run cleanly on Ctrl-C: the worktree must not outlive the benchmark. */
export function removeOnSignal(baseline: BaselineBuild): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      baseline.remove();
      process.exit(130);
    });
  }
}
