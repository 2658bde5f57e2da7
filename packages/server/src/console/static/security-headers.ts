import type { FastifyReply } from 'fastify';

/**
 * The console's Content-Security-Policy: its own scripts only (no inline script, no CDN, nothing
 * from the internet), inline styles (the component library sets some), images from itself or
 * data: URLs, requests to its own origin only, and no framing (clickjacking).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers for every file the console serves; `html` adds the page's CSP. */
export function consoleHeaders(reply: FastifyReply, html: boolean): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  if (html) {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-frame-options', 'DENY');
  }
}
