/**
 * The REST-JSON transport of Kinesis Video (and its archived media): each operation is a POST
 * to its own path with an application/json body. Owns the application/json body parser (which
 * keeps the raw bytes for SigV4, as the AWS JSON parser does), input validation (failures are
 * InvalidArgumentException, as Kinesis Video sends them) and writing JSON or media responses.
 * Error bodies are written by plugins/errors.ts; the SDK reads their x-amzn-ErrorType header.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RivuletError, isRivuletError } from '@rivulet/shared';
import { compileValidator } from '../plugins/aws-validation.js';
import { parseJsonBuffer } from '../plugins/json-buffer.js';
import { MediaPayload, type VideoAction, type VideoRequestContext } from './actions/define.js';
import type { VideoService } from './service.js';

export const REST_JSON_CONTENT_TYPE = 'application/json';
/** A Host header is a host name or address and an optional port; anything else is refused. */
const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * Replaces Fastify's application/json parser, on `scope` and its children, with one that keeps
 * request.rawBody (SigV4 signs the body) and treats an empty body as {}.
 */
export function registerRestJsonParser(scope: FastifyInstance): void {
  if (scope.hasContentTypeParser(REST_JSON_CONTENT_TYPE)) scope.removeContentTypeParser(REST_JSON_CONTENT_TYPE);
  scope.addContentTypeParser(REST_JSON_CONTENT_TYPE, { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    request.rawBody = body;
    if (body.byteLength === 0) return done(null, {});
    try {
      done(null, parseJsonBuffer(body));
    } catch (cause) {
      done(new RivuletError('PROTOCOL_SERIALIZATION', { message: 'The request body is not valid JSON' }, { cause }));
    }
  });
}

/** This server's base URL as the client reached it, from the Host header and the protocol. */
export function requestBaseUrl(request: FastifyRequest): string {
  const host = request.host;
  if (!host || !HOST.test(host)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'The request has no usable Host header' });
  return `${request.protocol}://${host}`;
}

/**
 * Registers each action as POST <path>, in a child scope of `app` so the JSON parser stays
 * there; the app's hooks (SigV4) and error handler still apply.
 */
export function registerRestJsonActions(app: FastifyInstance, svc: VideoService, actions: readonly VideoAction[]): void {
  void app.register(async (scope) => {
    registerRestJsonParser(scope);
    for (const action of actions) addAction(scope, svc, action);
  });
}

function addAction(app: FastifyInstance, svc: VideoService, action: VideoAction): void {
  const validator = compileValidator<unknown>(action.input);
  app.post(action.path, async (request, reply) => {
    const body: unknown = request.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'The request body must be a JSON object' });
    }
    let input: unknown;
    try {
      input = validator.validate(body);
    } catch (err) {
      if (isRivuletError(err) && (err.code === 'PROTOCOL_VALIDATION' || err.code === 'PROTOCOL_SERIALIZATION')) {
        throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: err.message }, { cause: err });
      }
      throw err;
    }
    const ctx: VideoRequestContext = {
      get baseUrl() {
        return requestBaseUrl(request);
      },
    };
    const output = await action.run(svc, input, ctx);
    if (output instanceof MediaPayload) {
      reply.header('content-type', output.contentType);
      return reply.send(Readable.from(output.chunks, { objectMode: false }));
    }
    reply.header('content-type', REST_JSON_CONTENT_TYPE);
    return reply.send(JSON.stringify(output));
  });
}
