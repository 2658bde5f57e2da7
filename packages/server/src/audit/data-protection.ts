import type { JsonObject, JsonValue } from '@warden/policy';
import type { Redactor } from './redaction/index.js';
import { compileJsonPath, type JsonPath, mapAtPaths } from './redaction/index.js';
import type { PayloadSealer } from './sealing/payload-sealer.js';

export interface Protected {
  readonly value: JsonObject;
  /** Which redaction detectors fired, and how often. */
  readonly counts: { readonly [detector: string]: number };
}

/**
 * What is stored of an agent's call (arguments, reasoning, output): values at the configured subject
 * paths are sealed with that data subject's key, so `audit shred` can erase them later; everything
 * else is redacted. Runs before the storing transaction, because creating a subject's key commits on
 * its own.
 */
export class DataProtection {
  private readonly subjectPaths: readonly JsonPath[];

  constructor(
    private readonly sealer: PayloadSealer,
    private readonly redactor: Redactor,
    subjectPaths: readonly string[],
  ) {
    this.subjectPaths = subjectPaths.map(compileJsonPath);
  }

  async protect(tenantId: string, value: JsonObject, now: number): Promise<Protected> {
    if (this.subjectPaths.length === 0) {
      const { value: redacted, counts } = this.redactor.redact(value);
      return { value: redacted as JsonObject, counts };
    }
    // Subject values are swapped for placeholders while the rest is redacted, then for their sealed
    // boxes: the redactor must neither erase an identifier that shredding is meant to control nor
    // rewrite ciphertext that happens to look like a token.
    const boxes: JsonValue[] = [];
    const withPlaceholders = mapAtPaths(value, this.subjectPaths, (found) => {
      if (typeof found !== 'string' && typeof found !== 'number') return found;
      boxes.push(found);
      return `${PLACEHOLDER}${boxes.length - 1}`;
    });
    for (const [i, subject] of boxes.entries()) {
      boxes[i] = (await this.sealer.sealSubject(tenantId, String(subject), now)) as unknown as JsonValue;
    }
    const { value: redacted, counts } = this.redactor.redact(withPlaceholders);
    const sealed = mapAtPaths(redacted, this.subjectPaths, (found) =>
      typeof found === 'string' && found.startsWith(PLACEHOLDER)
        ? (boxes[Number(found.slice(PLACEHOLDER.length))] ?? found)
        : found,
    );
    return { value: sealed as JsonObject, counts };
  }
}

/** Marks where a sealed subject value goes back; no detector matches it. */
const PLACEHOLDER = '\u0000subject:';
