import type { IncomingHttpHeaders } from 'node:http';
import { newId } from '../ids.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's request id is kept when it is sane, so logs correlate across services. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('req');
}
