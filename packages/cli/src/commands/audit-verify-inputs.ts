import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CannotVerifyError,
  type Config,
  isPostgres,
  type TrustedCheckpoint,
  trustedCheckpointFromNote,
} from '@warden/server';

// name+hash+key: enough to tell a key given inline from a mistyped file name.
const VERIFIER_KEY_SHAPE = /^[^\s+]+\+[0-9a-f]{8}\+\S+$/;

/**
 * The verifier key from --public-key: a file holding it, or the key itself. `isDefault` is for the key
 * file a node writes beside its signing key, so the message can say where it comes from.
 */
export async function readVerifierKey(value: string, cwd: string, isDefault = false): Promise<string> {
  const path = resolve(cwd, value);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if (!isDefault && VERIFIER_KEY_SHAPE.test(value.trim())) return value.trim();
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
    throw new CannotVerifyError(
      isDefault
        ? `no verifier key: ${path} ${why} (a node writes it beside its signing key); pass --public-key FILE|KEY`
        : `--public-key ${value}: the file ${why}, and the text is not a verifier key`,
    );
  }
}

/** The checkpoint kept in --from-checkpoint FILE, which the log must still agree with. */
export async function readTrustedCheckpoint(file: string, cwd: string): Promise<TrustedCheckpoint> {
  let note: string;
  try {
    note = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new CannotVerifyError(`--from-checkpoint ${file}: ${(error as Error).message}`);
  }
  return trustedCheckpointFromNote('from-checkpoint', note);
}

/**
 * Verification only reads: opening SQLite where there is no database would create an empty one and
 * then report on that, so a missing file is refused first.
 */
export function requireExistingDatabase(config: Config): void {
  if (isPostgres(config)) return;
  const url = config.databaseUrl;
  const file = url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(config.dataDir, 'warden.db');
  if (file !== ':memory:' && !existsSync(file)) {
    throw new CannotVerifyError(`no database at ${file} (set WARDEN_DATA_DIR or --database)`);
  }
}
