import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WardenProcess {
  readonly url: string;
  /** The server's process id (for sampling its memory). */
  readonly pid: number;
  readonly adminToken: string;
  /** Stops the server (SIGTERM, so it shuts down cleanly) and removes its data directory. */
  stop(): Promise<void>;
}

export interface ProcessOptions {
  /** The checkout whose build runs (default: this one); a baseline build lives elsewhere. */
  readonly root?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

/** `warden up` in its own process on `dataDir`, as a user runs it; resolves once it listens. */
export async function startWardenProcess(
  dataDir: string,
  env: Record<string, string>,
  options: ProcessOptions = {},
): Promise<WardenProcess> {
  const bin = join(options.root ?? ROOT, 'packages/cli/dist/bin.js');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, 'up'], {
    env: { ...process.env, WARDEN_DATA_DIR: dataDir, WARDEN_PORT: '0', WARDEN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  return {
    url,
    pid: child.pid as number,
    adminToken: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}
