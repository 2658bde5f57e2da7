/**
 * The detectors, in priority order: overlapping matches are merged into one redaction labelled by the
 * longest match, and between matches of equal length by the detector listed first (validated, specific
 * formats win over looser ones).
 */
export const DETECTOR_NAMES = ['secret', 'card', 'iban', 'ssn', 'email', 'phone'] as const;

export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** A half-open range `[start, end)` of UTF-16 code units in the scanned text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Detector {
  readonly name: DetectorName;
  /** No match can be shorter than this, so shorter strings are not scanned at all. */
  readonly minLength: number;
  /** Every match holds at least this many ASCII digits, so strings with fewer are not scanned at all. */
  readonly minDigits: number;
  find(text: string): Span[];
}

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}

/** What a redacted match, or a whole redacted value, is replaced with. */
export function redactionMarker(label: string): string {
  return `[REDACTED:${label}]`;
}
