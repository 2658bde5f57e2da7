/**
 * Text rules shared by signed notes and verifier keys (C2SP signed-note). Everything here is a pure
 * predicate or decoder that returns `undefined` instead of throwing, so parsers of hostile input stay
 * total.
 */

/**
 * Decodes standard, padded base64 and rejects every other spelling. Node's decoder silently skips
 * junk and accepts missing padding; two spellings of one value would let a signed note be altered
 * without touching the bytes it means, so only the canonical form is accepted.
 */
export function decodeCanonicalBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Key names end at the first space and verifier keys split on "+", so neither may appear in one. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && isCleanText(name);
}

/**
 * True when the text is well-formed (no lone UTF-16 surrogates, which is what a string decoded from
 * invalid UTF-8 by a lenient decoder can carry) and has no control characters besides newline. A note
 * is compared and displayed as text; invisible characters would let two different notes look alike.
 */
export function isCleanText(text: string): boolean {
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code === 0x0a) continue;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
    if (code >= 0xd800 && code <= 0xdfff) return false;
  }
  return true;
}
