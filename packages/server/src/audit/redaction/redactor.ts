import type { JsonValue } from '@warden/policy';
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js';
import {
  DETECTOR_NAMES,
  type Detector,
  type DetectorName,
  isDetectorName,
  redactionMarker,
} from './detector.js';
import { cardDetector, isCardNumber } from './detectors/card.js';
import { emailDetector } from './detectors/email.js';
import { ibanDetector } from './detectors/iban.js';
import { createPhoneDetector } from './detectors/phone.js';
import { secretDetector } from './detectors/secret.js';
import { ssnDetector } from './detectors/ssn.js';
import { defineMember, MAX_DEPTH } from './json-object.js';
import { compileJsonPath } from './json-path.js';
import { PathMatcher, type PathStates } from './path-matcher.js';
import { TextRedactor } from './redact-text.js';
import { SecretKeyNames } from './secret-keys.js';

/** Strings longer than this become `[REDACTED:size]` unless the option says otherwise. */
export const DEFAULT_MAX_STRING_LENGTH = 65_536;

export interface RedactorOptions {
  /** The detectors to run; all of them when absent. Key-name redaction goes with `secret`. */
  readonly detectors?: readonly DetectorName[];
  /**
   * JSON paths whose values are replaced whole by `[REDACTED:path]`; syntax in json-path.ts. An invalid
   * path throws an Error naming it.
   */
  readonly paths?: readonly string[];
  /** The country whose national phone numbers (without +) are recognised; US when absent. */
  readonly defaultPhoneCountry?: CountryCode;
  /**
   * Longer strings are replaced whole by `[REDACTED:size]`: scanning is linear, but a huge string full of
   * digit groups would mean thousands of phone-library calls, and such blobs have no place in audit events.
   */
  readonly maxStringLength?: number;
}

export interface Redaction {
  /** A new value; the input is never modified. */
  readonly value: JsonValue;
  /**
   * Redactions made, by label: a detector name, `path`, `depth` or `size`. Key-name redactions count under
   * `secret`. Only labels that occurred are present.
   */
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Removes sensitive data from JSON values (audit events, decision arguments) before they are stored.
 * Values nested deeper than MAX_DEPTH (64; the top-level value is at depth 0) become `[REDACTED:depth]`.
 * Build one per configuration and reuse it: construction validates the options and compiles the paths.
 */
export class Redactor {
  readonly #text: TextRedactor;
  readonly #cardNumbers: boolean;
  readonly #secretKeys: SecretKeyNames | undefined;
  readonly #paths: PathMatcher;
  readonly #maxStringLength: number;

  constructor(options: RedactorOptions = {}) {
    const names = options.detectors ?? DETECTOR_NAMES;
    for (const name of names) {
      if (!isDetectorName(name)) {
        throw new Error(`unknown redaction detector "${name}"; expected one of ${DETECTOR_NAMES.join(', ')}`);
      }
    }
    const country = options.defaultPhoneCountry ?? 'US';
    if (!isSupportedCountry(country)) throw new Error(`unsupported default phone country "${country}"`);
    const maxStringLength = options.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
    if (!Number.isInteger(maxStringLength) || maxStringLength < 1) {
      throw new Error(`maxStringLength must be a positive integer, got ${maxStringLength}`);
    }

    // Kept in priority order whatever order the options list them in.
    const detectors = DETECTOR_NAMES.filter((name) => names.includes(name)).map((name) =>
      name === 'phone' ? createPhoneDetector(country) : DETECTORS[name],
    );
    this.#text = new TextRedactor(detectors);
    this.#cardNumbers = names.includes('card');
    this.#secretKeys = names.includes('secret') ? new SecretKeyNames() : undefined;
    this.#paths = new PathMatcher((options.paths ?? []).map(compileJsonPath));
    this.#maxStringLength = maxStringLength;
  }

  redact(value: JsonValue): Redaction {
    const counts = new Map<string, number>();
    const redacted = this.#value(value, 0, this.#paths.root(), counts);
    return { value: redacted, counts: Object.fromEntries(counts) };
  }

  #value(value: JsonValue, depth: number, paths: PathStates, counts: Map<string, number>): JsonValue {
    if (depth > MAX_DEPTH) return marked('depth', counts);
    if (typeof value === 'string') return this.#string(value, counts);
    if (typeof value === 'number') return this.#number(value, counts);
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      return value.map((element, index) => this.#member(element, index, depth, paths, counts));
    }
    const copy: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (member === undefined) continue;
      defineMember(copy, key, this.#member(member, key, depth, paths, counts));
    }
    return copy;
  }

  /** A member of an object or element of an array at `depth`; the member itself is at depth + 1. */
  #member(
    member: JsonValue,
    key: string | number,
    depth: number,
    paths: PathStates,
    counts: Map<string, number>,
  ): JsonValue {
    const next = this.#paths.child(paths, key);
    if (next.selected) return marked('path', counts);
    // null and booleans say nothing about a secret ("password": null), so they are kept as they are.
    if (
      typeof key === 'string' &&
      member !== null &&
      typeof member !== 'boolean' &&
      this.#secretKeys?.matches(key)
    ) {
      return marked('secret', counts);
    }
    return this.#value(member, depth + 1, next.states, counts);
  }

  #string(text: string, counts: Map<string, number>): string {
    if (text.length > this.#maxStringLength) return marked('size', counts);
    return this.#text.redact(text, counts);
  }

  /** Card numbers also travel as JSON numbers; other detectors need the separators only strings have. */
  #number(value: number, counts: Map<string, number>): JsonValue {
    if (this.#cardNumbers && Number.isInteger(value) && value >= 1e12 && value < 1e19) {
      if (isCardNumber(String(value))) return marked('card', counts);
    }
    return value;
  }
}

const DETECTORS: Readonly<Record<Exclude<DetectorName, 'phone'>, Detector>> = {
  secret: secretDetector,
  card: cardDetector,
  iban: ibanDetector,
  ssn: ssnDetector,
  email: emailDetector,
};

function marked(label: string, counts: Map<string, number>): string {
  counts.set(label, (counts.get(label) ?? 0) + 1);
  return redactionMarker(label);
}
