import { createHmac, timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../notify/webhook-notifier.js';

/**
 * Both directions of the step-up hook are signed like every Warden webhook:
 * `warden-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the tenant's hook
 * secret. The timestamp is inside the MAC, so an old message cannot be re-dated.
 */
export const STEP_UP_SIGNATURE_HEADER = 'warden-signature';
/** How far a confirmation's timestamp may be from the node's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signStepUp(secret: string, body: string, timestampSeconds: number): string {
  return signWebhook(secret, body, timestampSeconds);
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function verifyStepUp(
  secret: string,
  body: string,
  header: string | undefined,
  nowMs: number,
): SignatureCheck {
  if (!header) return { ok: false, reason: `the ${STEP_UP_SIGNATURE_HEADER} header is missing` };
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) {
    return {
      ok: false,
      reason: `the ${STEP_UP_SIGNATURE_HEADER} header is not t=<unix seconds>,v1=<hex HMAC-SHA256>`,
    };
  }
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex')))
    return { ok: false, reason: 'the signature does not match' };
  const skew = Math.abs(nowMs / 1000 - Number(t));
  if (skew > SIGNATURE_TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: `the signature's timestamp is ${Math.round(skew)} s away from now (at most ${SIGNATURE_TOLERANCE_SECONDS} s)`,
    };
  }
  return { ok: true };
}
