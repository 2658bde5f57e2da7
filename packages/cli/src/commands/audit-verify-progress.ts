import type { CliIo } from '../io.js';

export interface Progress {
  /** Events checked so far out of `total`. */
  update(done: number, total: number): void;
  /** Clears the bar, if one was drawn, so the result prints on a clean line. */
  finish(): void;
}

// Short runs finish before a bar would help; a bar that flashes up and vanishes is only noise.
const SHOW_AFTER_MS = 1_000;
const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 30;

/** A progress bar on stderr, redrawn in place with \r at most ten times a second; nothing when off. */
export function progressBar(io: CliIo, enabled: boolean, clock: () => number = Date.now): Progress {
  if (!enabled) return { update: () => {}, finish: () => {} };
  const started = clock();
  let lastDrawn = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = clock();
      if (now - started < SHOW_AFTER_MS || now - lastDrawn < REDRAW_EVERY_MS) return;
      lastDrawn = now;
      drawn = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
      const count = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} events`;
      io.err(`\r[${bar}] ${Math.floor(fraction * 100)}% ${count}`);
    },
    finish() {
      // Erase to the end of the line: the result is printed where the bar was.
      if (drawn) io.err('\r\u001b[K');
    },
  };
}
