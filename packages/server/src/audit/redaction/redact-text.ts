import { type Detector, redactionMarker } from './detector.js';
import { countDigitsUpTo } from './digits.js';

interface LabelledSpan {
  start: number;
  end: number;
  /** Index of the detector in priority order; lower wins ties. */
  rank: number;
  /** Length of the match that labels the span. */
  labelLength: number;
}

/**
 * Runs detectors (given in priority order) over strings and replaces every match with its marker.
 * Overlapping matches, from one detector or several, become a single redaction, so the output never holds
 * a marker inside another or a fragment of a secret between two. The redaction is labelled by the longest
 * of the matches (a card-like digit run inside an IBAN is part of the IBAN), ties going to priority.
 */
export class TextRedactor {
  /** Strings shorter than this cannot hold any match. */
  readonly shortestMatch: number;
  readonly #mostDigitsNeeded: number;

  constructor(private readonly detectors: readonly Detector[]) {
    this.shortestMatch = Math.min(...detectors.map((detector) => detector.minLength));
    this.#mostDigitsNeeded = Math.max(0, ...detectors.map((detector) => detector.minDigits));
  }

  /** `text` with its matches replaced; `counts` is incremented once per marker written. */
  redact(text: string, counts: Map<string, number>): string {
    if (text.length < this.shortestMatch) return text;
    const digits = countDigitsUpTo(text, this.#mostDigitsNeeded);
    const spans: LabelledSpan[] = [];
    this.detectors.forEach((detector, rank) => {
      if (text.length < detector.minLength || digits < detector.minDigits) return;
      for (const { start, end } of detector.find(text)) {
        if (end > start) spans.push({ start, end, rank, labelLength: end - start });
      }
    });
    if (spans.length === 0) return text;

    let output = '';
    let written = 0;
    for (const span of mergeOverlapping(spans)) {
      const name = this.detectors[span.rank]?.name;
      if (name === undefined) continue;
      output += text.slice(written, span.start) + redactionMarker(name);
      written = span.end;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return output + text.slice(written);
  }
}

function mergeOverlapping(spans: LabelledSpan[]): LabelledSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: LabelledSpan[] = [];
  let current: LabelledSpan | undefined;
  for (const span of spans) {
    if (current === undefined || span.start >= current.end) {
      current = { ...span };
      merged.push(current);
      continue;
    }
    current.end = Math.max(current.end, span.end);
    if (
      span.labelLength > current.labelLength ||
      (span.labelLength === current.labelLength && span.rank < current.rank)
    ) {
      current.rank = span.rank;
      current.labelLength = span.labelLength;
    }
  }
  return merged;
}
