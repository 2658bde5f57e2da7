import type { Config } from '../config/config.js';

/** How long console sessions and sign-in codes live (from WARDEN_CONSOLE_* settings). */
export interface ConsoleSettings {
  /** A session unused this long is over. */
  readonly idleMs: number;
  /** A session is over this long after sign-in, however much it is used. */
  readonly absoluteMs: number;
  /** A sign-in code (the link `warden up` prints) must be used within this. */
  readonly codeTtlMs: number;
}

export function consoleSettings(config: Config): ConsoleSettings {
  return {
    idleMs: config.consoleSessionIdleSeconds * 1000,
    absoluteMs: config.consoleSessionMaxSeconds * 1000,
    codeTtlMs: config.consoleSignInCodeSeconds * 1000,
  };
}
