import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

/**
 * The node's logger, made before anything else so every service logs through it from its start;
 * the app logs through the same instance (its request lines are children of it).
 */
export function createLogger(level: string): FastifyBaseLogger {
  return pino({ level, redact: ['req.headers.authorization'] });
}
