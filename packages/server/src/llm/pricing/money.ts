/**
 * Money for LLM calls. Costs are integers of micro-dollars (1e-6 USD), the unit budgets already
 * count in, so sums stay exact. Rates are integers of pico-dollars (1e-12 USD) per token: a price of
 * X USD per million tokens is X * 1e6 pico-dollars per token, so every published price with up to six
 * decimals per million tokens (0.075, 3.75, 0.0375...) is held exactly and no float ever accumulates.
 */
export type Micros = number;
/** Pico-dollars per token, a non-negative safe integer. */
export type PicosPerToken = number;

const PICOS_PER_MICRO = 1_000_000n;
const DECIMALS = 6;

/**
 * USD per million tokens → pico-dollars per token, exactly for up to six decimals. A price with more
 * decimals is rounded up (charging at most one pico-dollar per token too much, never too little).
 * Throws a RangeError on a negative, non-finite or absurd (above 1e6 USD per million) price.
 */
export function picosPerToken(usdPerMillionTokens: number): PicosPerToken {
  if (!Number.isFinite(usdPerMillionTokens) || usdPerMillionTokens < 0 || usdPerMillionTokens > 1e6) {
    throw new RangeError(`invalid price ${usdPerMillionTokens} USD per million tokens`);
  }
  // The shortest decimal that round-trips is the one the table and the operator wrote; reading it
  // as a decimal (not multiplying the binary float) keeps 0.075 exactly 75000.
  const [mantissa = '0', exponentText] = usdPerMillionTokens.toString().toLowerCase().split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const exponent = Number(exponentText ?? 0);
  let digits = BigInt(whole + fraction);
  let scale = fraction.length - exponent; // value = digits / 10^scale
  let roundUp = false;
  while (scale > DECIMALS) {
    if (digits % 10n !== 0n) roundUp = true;
    digits /= 10n;
    scale--;
  }
  let picos = digits * 10n ** BigInt(DECIMALS - scale);
  if (roundUp) picos += 1n;
  return Number(picos);
}

/** A rate back in USD per million tokens, for display and error messages only. */
export function usdPerMillionTokens(rate: PicosPerToken): number {
  return rate / 1e6;
}

/**
 * Pico-dollars → micro-dollars, rounded up: a call is charged whole micro-dollars, and the rounding
 * (at most one micro-dollar per call) always favours the budget.
 */
export function picosToMicrosRoundedUp(picos: bigint): Micros {
  const micros = (picos + PICOS_PER_MICRO - 1n) / PICOS_PER_MICRO;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError('cost beyond a safe integer of micro-dollars');
  return Number(micros);
}

/** Micro-dollars as a USD string with six decimals ("0.012345"), for logs and messages. */
export function formatMicros(micros: Micros): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}
