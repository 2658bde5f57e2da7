const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Parses `90s`, `15m`, `1h`, `1h30m`, `2d` into seconds; undefined if the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  const [, d, h, m, s] = match;
  return (
    Number(d ?? 0) * (UNIT_SECONDS.d ?? 0) +
    Number(h ?? 0) * (UNIT_SECONDS.h ?? 0) +
    Number(m ?? 0) * (UNIT_SECONDS.m ?? 0) +
    Number(s ?? 0)
  );
}
