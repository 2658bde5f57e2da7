import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../config/config.js';
import { prettyLogStream } from './pretty-log.js';

/**
 * The node's logger, made before anything else so every service logs through it from its start;
 * the app logs through the same instance (its request lines are children of it). `pretty` writes
 * the human format to stdout from this process; `json` writes pino's JSON lines.
 */
export function createLogger(level: string, format: Config['logFormat'] = 'json'): FastifyBaseLogger {
  const options = { level, redact: ['req.headers.authorization'] };
  return format === 'pretty'
    ? pino(
        options,
        prettyLogStream((text) => process.stdout.write(text)),
      )
    : pino(options);
}
