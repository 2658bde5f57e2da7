import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import type { ErrorBody } from './errors.js';
import { requestIdOf } from './request-id.js';

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (oversized headers, a
 * malformed request line, a slow client) with the same envelope as every other error.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] = classify(error.code);
  // The headers were never parsed, so there is no caller's x-request-id to keep.
  const requestId = requestIdOf({});
  if (socket.writable) {
    const status = ERROR_STATUS[code];
    const body: ErrorBody = { error: { code, message, requestId } };
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `x-request-id: ${requestId}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}

function classify(parserCode: string | undefined): [ErrorCode, string] {
  switch (parserCode) {
    case 'HPE_HEADER_OVERFLOW':
      return ['headers_too_large', 'the request line and headers are larger than the server accepts'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request was not received in time'];
    default:
      return ['invalid_request', 'the request is not valid HTTP'];
  }
}
