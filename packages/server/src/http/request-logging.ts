import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request (Fastify writes two), at debug: at thousands of decisions a second the
 * per-request lines would cost more than the decision. Failed requests are logged at error by the
 * error handler; every line carries the request id as `requestId`.
 */
export class RequestLogging extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error({ err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  }
}
