import type { Detector, Span } from '../detector.js';
import { execAll } from '../exec-all.js';
import { characterClassCount } from './character-classes.js';

interface SecretPattern {
  readonly regex: RegExp;
  /** The capture group holding the secret when the match carries a label around it (`Bearer <token>`). */
  readonly secretGroup?: number;
  /** Rejects look-alikes the pattern alone would take. */
  readonly accept?: (match: RegExpExecArray) => boolean;
}

// Formats with a fixed prefix are taken as they are: the prefix is specific enough. The two loose prefixes
// (`sk-`, `Bearer`) also require a token that mixes character classes like generated secrets do.
const PATTERNS: readonly SecretPattern[] = [
  // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, PGP ... BLOCK); a block cut off before its END line is
  // redacted to the end of the text.
  {
    regex:
      /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  // AWS access key ids: long-term (AKIA) and temporary (ASIA).
  { regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  // GitHub classic tokens (personal, OAuth, user-to-server, server-to-server, refresh) and fine-grained PATs.
  { regex: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g },
  // Slack bot, user, app, refresh and legacy tokens.
  { regex: /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/g },
  // Stripe secret and restricted keys (publishable pk_ keys are public by design).
  { regex: /(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{10,}/g },
  // OpenAI (sk-..., sk-proj-..., sk-svcacct-...) and Anthropic (sk-ant-...) keys.
  {
    regex: /(?<![A-Za-z0-9_-])sk-([A-Za-z0-9_-]{20,})/g,
    accept: (match) => characterClassCount(match[1] ?? '') === 3,
  },
  // Google API keys.
  { regex: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}/g },
  // JWTs: a base64url JSON header (always `eyJ`), payload and signature (empty for alg "none").
  { regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
  // Warden's own agent keys and human API tokens.
  { regex: /(?<![A-Za-z0-9_])wdn_[au]_[A-Za-z0-9_-]{16,}/g },
  // Bearer credentials in text such as a copied Authorization header; only the token is redacted.
  {
    regex: /(?<![A-Za-z0-9])bearer\s+([A-Za-z0-9._~+/-]{8,}=*)/gi,
    secretGroup: 1,
    accept: (match) => characterClassCount(match[1] ?? '') >= 2,
  },
];

// Something every pattern above starts with: one scan rules out the ordinary string instead of ten.
const TRIGGER =
  /PRIVATE KEY|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abprs]-|[sr]k_(?:live|test)_|sk-|AIza|eyJ|wdn_[au]_|bearer/i;

/** API keys, access tokens and private keys in the common formats listed above. */
export const secretDetector: Detector = {
  name: 'secret',
  minLength: 15, // "Bearer " and an eight-character token; xoxb- and ten characters
  minDigits: 0,
  find(text: string): Span[] {
    if (!TRIGGER.test(text)) return [];
    const spans: Span[] = [];
    for (const { regex, secretGroup, accept } of PATTERNS) {
      for (const match of execAll(regex, text)) {
        if (accept !== undefined && !accept(match)) continue;
        const end = match.index + match[0].length;
        const secret = secretGroup === undefined ? undefined : match[secretGroup];
        spans.push({ start: secret === undefined ? match.index : end - secret.length, end });
      }
    }
    return spans;
  },
};
