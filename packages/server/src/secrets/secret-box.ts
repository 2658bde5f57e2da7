import { randomBytes } from 'node:crypto';
import { parseKeyEncryptionKey } from '../audit/event-mac.js';
import { open, seal } from '../audit/sealing/aes-gcm.js';
import { readOrCreateSecretFile } from '../audit/secret-file.js';
import { displayPath } from '../display-path.js';

/**
 * Secrets Warden holds for a tenant (an upstream MCP server's token, an environment value), kept in
 * the database sealed with AES-256-GCM under the secrets key, a file outside the database. A box is
 * bound to the place it was sealed for (tenant, owner, field) as associated data, so a box copied to
 * another server, field or tenant does not open. Plaintext exists only in memory, when it is used.
 */
export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    private readonly keyFile: string,
  ) {}

  /** The key from `path`, created (mode 0600) at the first start; every node must share the file. */
  static async load(path: string): Promise<SecretBox> {
    const text = await readOrCreateSecretFile(
      path,
      'Secrets key file',
      () => `${randomBytes(32).toString('base64')}\n`,
    );
    return new SecretBox(parseKeyEncryptionKey(text, path), path);
  }

  seal(value: string, binding: string): string {
    return seal(this.key, value, binding);
  }

  /** The value; throws naming the key file when the box does not open (another key, moved, altered). */
  open(box: string, binding: string): string {
    const value = open(this.key, box, binding);
    if (value === null) {
      throw new Error(
        `a stored secret (${binding}) cannot be opened with the secrets key ${displayPath(this.keyFile)}: ` +
          'every node must use the same WARDEN_SECRETS_KEY_FILE',
      );
    }
    return value;
  }
}
