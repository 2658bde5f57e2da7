import { popcount } from '../merkle/bits.js';
import { HASH_SIZE } from '../merkle/index.js';
import type { RangeHashes } from './engine.js';
import { CannotVerifyError } from './report.js';
import type { StoredCheckpoint } from './signed-checkpoints.js';

export const EXPORT_KIND = 'warden.audit.export';
export const EXPORT_VERSION = 1;

/** The first line of a JSONL export: whose log, which events [begin, end), and the prefix's compact range. */
export interface ExportHeader {
  readonly tenant: string;
  readonly origin: string;
  readonly verifierKey: string;
  readonly begin: number;
  readonly end: number;
  readonly prefix: RangeHashes;
}

/** The export is not in the format: verification cannot even start. Names the line. */
export class ExportFormatError extends CannotVerifyError {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`export line ${line}: ${message}`);
  }
}

type Fields = { readonly [key: string]: unknown };

export function parseExportLine(text: string, line: number): Fields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ExportFormatError(line, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExportFormatError(line, 'not a JSON object');
  }
  return value as Fields;
}

export function parseHeader(text: string): ExportHeader {
  const fields = parseExportLine(text, 1);
  const fail = (why: string): never => {
    throw new ExportFormatError(1, why);
  };
  if (fields.kind !== EXPORT_KIND) fail(`not a Warden audit export (kind must be "${EXPORT_KIND}")`);
  if (fields.version !== EXPORT_VERSION) fail(`unsupported export version ${JSON.stringify(fields.version)}`);
  const { tenant, origin, verifierKey, begin, end } = fields;
  if (typeof tenant !== 'string' || tenant === '') return fail('"tenant" is missing');
  if (typeof origin !== 'string' || !origin.endsWith(`/${tenant}`)) {
    return fail(`"origin" must be the log of tenant ${tenant}`);
  }
  if (typeof verifierKey !== 'string') return fail('"verifierKey" is missing');
  if (!isCount(begin) || !isCount(end) || begin > end)
    return fail('"begin" and "end" must be sizes, begin <= end');
  const prefix = hashList(fields.prefix, 1, '"prefix"');
  if (prefix.length !== popcount(begin)) {
    fail(`"prefix" of a range of size ${begin} must hold ${popcount(begin)} hashes, not ${prefix.length}`);
  }
  return { tenant, origin, verifierKey, begin, end, prefix: { size: begin, hashes: prefix } };
}

export function parseCheckpointLine(fields: Fields, line: number): StoredCheckpoint {
  if (!isCount(fields.size)) throw new ExportFormatError(line, 'checkpoint "size" is not a size');
  if (typeof fields.note !== 'string') throw new ExportFormatError(line, 'checkpoint "note" is not text');
  return { size: fields.size, note: fields.note };
}

export function parseSuffixLine(fields: Fields, line: number): RangeHashes {
  if (!isCount(fields.size)) throw new ExportFormatError(line, 'suffix "size" is not a size');
  return { size: fields.size, hashes: hashList(fields.hashes, line, 'suffix "hashes"') };
}

function hashList(value: unknown, line: number, what: string): Buffer[] {
  if (!Array.isArray(value)) throw new ExportFormatError(line, `${what} is not a list`);
  return value.map((item) => {
    const hash = typeof item === 'string' ? Buffer.from(item, 'base64') : undefined;
    // Buffer.from skips characters that are not base64; re-encoding catches anything but the one spelling.
    if (hash?.length !== HASH_SIZE || hash.toString('base64') !== item) {
      throw new ExportFormatError(line, `${what} holds something that is not a base64 hash`);
    }
    return hash;
  });
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
