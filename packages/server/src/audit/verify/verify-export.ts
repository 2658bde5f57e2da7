import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ParsedVerifierKey } from '../checkpoint/index.js';
import { verifyLogStream } from './engine.js';
import { type ExportOutline, readExportEvents, readExportOutline } from './export-reader.js';
import { cannotVerify, reasonOf, type TrustedCheckpoint, type VerifyReport } from './report.js';
import { readAnchoredCheckpoints } from './trusted-sources.js';
import { verifierKeyFrom } from './verifier-key.js';

export interface ExportVerifyOptions {
  /**
   * The key the checkpoints must be signed with, obtained independently of the export. Without it the
   * export's own `verifierKey` is used, which only shows the export is self-consistent
   * (report.keySource = 'export').
   */
  readonly verifierKey?: string | ParsedVerifierKey;
  readonly anchorDir?: string;
  readonly trusted?: readonly TrustedCheckpoint[];
  /** Events checked so far, and how many the export holds. */
  readonly onProgress?: (events: number, total: number) => void;
  /** Hears the header once it is read, e.g. to size a progress bar or name the tenant. */
  readonly onOutline?: (outline: ExportOutline) => void;
}

/** Opens the lines of an export afresh: verification reads them twice (see readExportOutline). */
export type ExportLines = () => AsyncIterable<string>;

/** The lines of an export file, read as a stream. */
export function exportFileLines(path: string): ExportLines {
  return () =>
    createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
}

/**
 * Verifies a JSONL export (header, events [begin, end), checkpoints, suffix) without the database: each
 * event and the roots its checkpoints sign, from the prefix's compact range up to the suffix's size.
 * An export is a window of the log, so trusted checkpoints outside it are reported as not covered.
 */
export async function verifyExport(
  lines: ExportLines,
  options: ExportVerifyOptions = {},
): Promise<VerifyReport> {
  const keySource = options.verifierKey === undefined ? 'export' : 'given';
  try {
    const outline = await readExportOutline(lines());
    options.onOutline?.(outline);
    const { header } = outline;
    const anchored = options.anchorDir
      ? await readAnchoredCheckpoints(options.anchorDir, header.origin)
      : { checkpoints: [], warnings: [] };
    const total = header.end - header.begin;
    const { onProgress } = options;
    const report = await verifyLogStream({
      mode: 'export',
      tenantId: header.tenant,
      origin: header.origin,
      verifierKey: verifierKeyFrom(options.verifierKey ?? header.verifierKey),
      prefix: header.prefix,
      events: readExportEvents(lines(), outline),
      checkpoints: outline.checkpoints,
      suffix: outline.suffix,
      trusted: [...anchored.checkpoints, ...(options.trusted ?? [])],
      warnings: anchored.warnings,
      complete: false,
      announcedEnd: header.end,
      ...(onProgress ? { onProgress: (events: number) => onProgress(events, total) } : {}),
    });
    return { ...report, keySource };
  } catch (error) {
    return cannotVerify('export', reasonOf(error), { keySource });
  }
}
