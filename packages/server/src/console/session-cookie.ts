import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './console-secrets.js';

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), the whole origin, and Secure when people reach the node over https (the request came over
 * TLS, or WARDEN_PUBLIC_URL is https behind a proxy that ends TLS).
 */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  secret: string,
  maxAgeSeconds: number,
  httpsPublicUrl: boolean,
): void {
  reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
    secure: httpsPublicUrl || request.protocol === 'https',
  });
}

export function clearSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  httpsPublicUrl: boolean,
): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: httpsPublicUrl || request.protocol === 'https',
  });
}
