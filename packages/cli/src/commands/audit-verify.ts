import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cannotVerify,
  exportFileLines,
  loadConfig,
  openStorage,
  readEventKey,
  type TrustedCheckpoint,
  type VerifyMode,
  type VerifyReport,
  verifyEventFromDatabase,
  verifyExport,
  verifyFromDatabase,
} from '@warden/server';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { printReport } from './audit-verify-format.js';
import { readTrustedCheckpoint, readVerifierKey, requireExistingDatabase } from './audit-verify-inputs.js';
import { type Progress, progressBar } from './audit-verify-progress.js';

export const AUDIT_VERIFY_HELP = `Usage: warden audit verify [options]

Checks that a tenant's audit log is intact: every checkpoint signed by the node's key, each one
extending the last, and (with --full) every event hashing to what was signed. Reads the database
named by WARDEN_DATABASE_URL / WARDEN_DATA_DIR (never writes to it), or an export file.

  --full                  read and check every event (default: signatures and consistency proofs only)
  --event ID              check one event and its inclusion in the latest checkpoint
  --export FILE           verify a JSONL export (warden audit export) instead of the database
  --public-key FILE|KEY   the verifier key (default: <signing key file>.pub; with --export, the key
                          in the export, with a warning: pin it when you are a third party)
  --anchor-dir DIR        checkpoints anchored there must agree with the log (default: the node's
                          anchor directory, when verifying the database)
  --from-checkpoint FILE  a checkpoint kept from earlier, which the log must still agree with
  --tenant SLUG|ID        whose log (default: the default tenant)
  --database URL          the database (default: from the environment)
  --json                  print the whole report as one JSON object

Exit status: 0 verified, 1 integrity failure, 2 cannot verify (no key, unreadable input).
`;

const OPTIONS = {
  full: { type: 'boolean' },
  event: { type: 'string' },
  export: { type: 'string' },
  'public-key': { type: 'string' },
  'anchor-dir': { type: 'string' },
  'from-checkpoint': { type: 'string' },
  tenant: { type: 'string' },
  database: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Flags {
  readonly full?: boolean;
  readonly event?: string;
  readonly export?: string;
  readonly 'public-key'?: string;
  readonly 'anchor-dir'?: string;
  readonly 'from-checkpoint'?: string;
  readonly tenant?: string;
  readonly database?: string;
  readonly json?: boolean;
  readonly help?: boolean;
}

export interface AuditVerifyOptions {
  /** Draw a progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
}

/** `warden audit verify`: returns 0 verified, 1 integrity failure, 2 cannot verify (or bad usage). */
export async function runAuditVerify(
  args: readonly string[],
  io: CliIo,
  options: AuditVerifyOptions = {},
): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(args);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    io.err(`warden: audit verify: ${error.message}\nRun "warden audit verify --help" for usage.\n`);
    return EXIT.usage;
  }
  if (flags.help) {
    io.out(AUDIT_VERIFY_HELP);
    return EXIT.ok;
  }
  const progress = progressBar(io, options.progress ?? Boolean(process.stderr.isTTY));
  let report: VerifyReport;
  try {
    report =
      flags.export !== undefined
        ? await fromExport(flags.export, flags, io, progress)
        : await fromDatabase(flags, io, progress);
  } finally {
    progress.finish();
  }
  return printReport(io, report, flags.json === true);
}

function parseFlags(args: readonly string[]): Flags {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: OPTIONS,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const flags = values as Flags;
  if (flags.export !== undefined) {
    const databaseOnly = (['full', 'event', 'tenant', 'database'] as const).filter(
      (f) => flags[f] !== undefined,
    );
    if (databaseOnly.length > 0)
      throw new UsageError(`--${databaseOnly[0]} applies to the database, not to --export`);
  }
  if (flags.event !== undefined && flags.full)
    throw new UsageError('--event checks one event; it cannot be --full');
  return flags;
}

async function trustedFrom(flags: Flags, cwd: string): Promise<TrustedCheckpoint[]> {
  const file = flags['from-checkpoint'];
  return file === undefined ? [] : [await readTrustedCheckpoint(file, cwd)];
}

async function fromExport(file: string, flags: Flags, io: CliIo, progress: Progress): Promise<VerifyReport> {
  const path = resolve(io.cwd, file);
  try {
    if (!existsSync(path)) return cannotVerify('export', `no export file at ${path}`);
    const key = flags['public-key'];
    const anchorDir = flags['anchor-dir'];
    return await verifyExport(exportFileLines(path), {
      ...(key !== undefined ? { verifierKey: await readVerifierKey(key, io.cwd) } : {}),
      ...(anchorDir !== undefined ? { anchorDir: resolve(io.cwd, anchorDir) } : {}),
      trusted: await trustedFrom(flags, io.cwd),
      onProgress: (done, total) => progress.update(done, total),
    });
  } catch (error) {
    return cannotVerify('export', (error as Error).message);
  }
}

async function fromDatabase(flags: Flags, io: CliIo, progress: Progress): Promise<VerifyReport> {
  const mode: VerifyMode = flags.event !== undefined ? 'event' : flags.full ? 'full' : 'quick';
  try {
    const config = loadConfig({
      env: process.env,
      overrides: flags.database !== undefined ? { databaseUrl: flags.database } : {},
    });
    requireExistingDatabase(config);
    const key = flags['public-key'];
    const verifierKey =
      key !== undefined
        ? await readVerifierKey(key, io.cwd)
        : await readVerifierKey(`${config.auditSigningKeyFile}.pub`, io.cwd, true);
    const anchorDir =
      flags['anchor-dir'] !== undefined
        ? resolve(io.cwd, flags['anchor-dir'])
        : existsSync(config.auditAnchorDir)
          ? config.auditAnchorDir
          : undefined;
    const eventKey = await readEventKey(config.auditKeyEncryptionKeyFile);
    const options = {
      verifierKey,
      ...(eventKey ? { eventKey } : {}),
      logName: config.auditLogName,
      trusted: await trustedFrom(flags, io.cwd),
      ...(anchorDir !== undefined ? { anchorDir } : {}),
    };
    const tenant = flags.tenant ?? config.defaultTenant;
    const storage = openStorage(config);
    try {
      if (flags.event !== undefined)
        return await verifyEventFromDatabase(storage, tenant, flags.event, options);
      return await verifyFromDatabase(storage, tenant, {
        ...options,
        full: flags.full === true,
        onProgress: (done, total) => progress.update(done, total),
      });
    } finally {
      await storage.close();
    }
  } catch (error) {
    // Configuration, key and file problems: nothing was verified, whatever the cause.
    return cannotVerify(mode, (error as Error).message);
  }
}
