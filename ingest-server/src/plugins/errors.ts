/**
 * The error handler: every error leaves as the AWS JSON shape {"__type", "message"} with the
 * status from the error registry. Fastify's own errors (body too large, bad content type) are
 * mapped to registry codes first; anything unexpected is logged and sent as a 500 InternalFailure.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AMZ_JSON_1_1, RivuletError, isRivuletError } from '@rivulet/shared';

function fromFastify(error: FastifyError, bodyLimit: number): RivuletError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RivuletError('PROTOCOL_BODY_TOO_LARGE', { limit: bodyLimit }, { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new RivuletError('PROTOCOL_SERIALIZATION', { message: error.message }, { cause: error });
    default:
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        return new RivuletError('PROTOCOL_SERIALIZATION', { message: error.message }, { cause: error });
      }
      return null;
  }
}

/** Renders any error as the AWS JSON error body with the registry's status. */
export function sendAwsError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply, bodyLimit: number): FastifyReply {
  const known = isRivuletError(error) ? error : fromFastify(error as FastifyError, bodyLimit);
  const wire = known ?? new RivuletError('PROTOCOL_INTERNAL', {}, { cause: error });
  if (wire.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: wire.code, message: wire.message }, 'request refused');
  return reply.status(wire.status).header('content-type', AMZ_JSON_1_1).header('x-amzn-errortype', wire.awsType).send(JSON.stringify(wire.toWire()));
}

export function registerErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => sendAwsError(error, request, reply, bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const wire = new RivuletError('PROTOCOL_NOT_FOUND', { method: request.method, url: request.url.slice(0, 200) });
    return reply.status(wire.status).header('content-type', AMZ_JSON_1_1).send(JSON.stringify(wire.toWire()));
  });
}
