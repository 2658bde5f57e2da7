// Key names whose value is a credential, compared in lower case with separators removed. Beyond the usual
// names this covers AWS_SECRET_ACCESS_KEY, passphrases and cookies (which carry session credentials).
const SECRET_KEY_NAMES: ReadonlySet<string> = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secretkey',
  'secretaccesskey',
  'token',
  'apikey',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'cookie',
  'privatekey',
  'clientsecret',
]);

// Separators, and the boundary inside camelCase ("apiKey" -> "api", "Key").
const WORD_BREAK = /[-_\s.]+|(?<=[a-z0-9])(?=[A-Z])/;

const CACHE_LIMIT = 10_000;

/**
 * Decides whether an object key names a secret: `password`, `API_KEY`, `client-secret`, `accessToken`, and
 * also keys ending in such a name as whole words (`db_password`, `x-api-key`, `webhookSecret`,
 * `Proxy-Authorization`). Keys where the name is part of a word or is not at the end are not secrets:
 * `max_tokens`, `token_count`, `secretary`, `password_hint`.
 */
export class SecretKeyNames {
  // Argument names repeat from call to call, so answers are kept; the limit stops a stream of unique keys
  // from growing the cache without bound.
  readonly #answers = new Map<string, boolean>();

  matches(key: string): boolean {
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      answer = endsWithSecretName(key);
      if (this.#answers.size >= CACHE_LIMIT) this.#answers.clear();
      this.#answers.set(key, answer);
    }
    return answer;
  }
}

function endsWithSecretName(key: string): boolean {
  const words = key.split(WORD_BREAK);
  let suffix = '';
  for (let i = words.length - 1; i >= 0; i--) {
    suffix = (words[i] ?? '').toLowerCase() + suffix;
    if (SECRET_KEY_NAMES.has(suffix)) return true;
  }
  return false;
}
