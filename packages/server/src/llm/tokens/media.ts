/*
 * Flat, conservative token counts for parts we do not tokenise. Each is at or above what the provider
 * bills for one such part in ordinary use; the reservation is settled to the real usage afterwards,
 * so a high count only holds budget for the duration of the call.
 */

/**
 * One OpenAI image: the dearest per-image count among current models. gpt-4o at high detail is at most
 * 85 + 170 × 8 tiles = 1,445; the patch-based models (gpt-4.1-mini/nano, o4-mini, gpt-5...) at most
 * 1,536 patches × their multiplier (up to 2.46) ≈ 3,780. `detail: "low"` is a fixed 85 (×2.46).
 */
export const OPENAI_IMAGE_TOKENS = 4_000;
export const OPENAI_LOW_DETAIL_IMAGE_TOKENS = 250;
/**
 * gpt-4o-mini bills images at 33× the token count (2,833 base + 5,667 per tile, up to 8 tiles), so
 * that its image price matches gpt-4o's.
 */
export const GPT_4O_MINI_IMAGE_TOKENS = 48_200;
/** One OpenAI audio input part, about 100 seconds of audio at OpenAI's ~10 tokens a second. */
export const OPENAI_AUDIO_TOKENS = 1_000;
/**
 * One file (PDF) part: text plus an image per page is billed, so this covers a short document only.
 * Not an upper bound for large files; the settlement corrects it.
 */
export const FILE_TOKENS = 10_000;
/** One Anthropic image: images are scaled to at most ~1.15 megapixels, about 1,600 tokens. */
export const ANTHROPIC_IMAGE_TOKENS = 1_600;
/** One Anthropic document (PDF) block, as for OpenAI files: a short document. */
export const ANTHROPIC_DOCUMENT_TOKENS = FILE_TOKENS;

export function openAiImageTokens(model: string | undefined, detail: unknown): number {
  const mini = model !== undefined && /^gpt-4o-mini/.test(model.toLowerCase());
  if (mini) return GPT_4O_MINI_IMAGE_TOKENS;
  return detail === 'low' ? OPENAI_LOW_DETAIL_IMAGE_TOKENS : OPENAI_IMAGE_TOKENS;
}
