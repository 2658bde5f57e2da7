import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WardenProcess {
  readonly url: string;
  readonly adminToken: string;
  /** Stops the server (SIGTERM, so it shuts down cleanly) and removes its data directory. */
  stop(): Promise<void>;
}

/** `warden up` in its own process on `dataDir`, as a user runs it; resolves once it listens. */
export async function startWardenProcess(
  dataDir: string,
  env: Record<string, string>,
): Promise<WardenProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'packages/cli/dist/bin.js'), 'up'], {
    env: { ...process.env, WARDEN_DATA_DIR: dataDir, WARDEN_PORT: '0', WARDEN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  return {
    url,
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
