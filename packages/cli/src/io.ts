/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Colour and progress only on an interactive terminal, and never with NO_COLOR set. */
  readonly color: boolean;
  readonly cwd: string;
  /**
   * Asks for a secret (a re-authentication secret, a hook's shared secret): typed at the terminal
   * without echo, or the first line of stdin when it is not a terminal. Never from a flag, so it
   * stays out of shell history and process lists.
   */
  readonly readSecret?: (prompt: string) => Promise<string>;
}

export function paint(io: CliIo, code: 'red' | 'green' | 'yellow' | 'dim' | 'bold', text: string): string {
  if (!io.color) return text;
  const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
  return `\u001b[${codes[code]}m${text}\u001b[0m`;
}

/** A usage mistake: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
