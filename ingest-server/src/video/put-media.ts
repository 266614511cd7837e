/**
 * The PutMedia data-plane route, POST /putMedia (Kinesis Video Streams media API): it checks the
 * headers and the stream, answers 200, then streams the request body through a PutMediaSession
 * and streams its acknowledgements back as JSON objects, one per line, while the body is still
 * arriving. The body is never buffered whole: a scope of its own hands the raw request stream
 * to the handler whatever the content type (the app's JSON parsers are not used here).
 * Owns: header parsing, the error responses sent before any acknowledgement, and wiring the
 * request and response streams to the session. Does not own fragment checks (put-media-session.ts).
 * Spec: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_PutMedia.html
 */
import { PassThrough, type Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RivuletError, VIDEO_HEADERS, type Clock, type PutMediaAck } from '@rivulet/shared';
import type { FragmentWriter } from './fragment-types.js';
import { NO_VIDEO_METRICS, type VideoMetrics, type VideoStreamMetrics } from './metrics.js';
import { PutMediaSession } from './put-media-session.js';

export const PUT_MEDIA_PATH = '/putMedia';

export interface PutMediaDeps {
  writer: FragmentWriter;
  streams: { stream(nameOrArn: string): Promise<{ streamName: string; status: string } | null> };
  clock: Clock;
  logger: Logger;
  /** How often IDLE goes out while no data arrives; 3 s by default. */
  idleIntervalMs?: number;
  /** Bytes and persisted fragments per stream for /metrics; none by default. */
  metrics?: VideoMetrics;
}

const PutMediaHeaders = Type.Object({
  [VIDEO_HEADERS.streamName]: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  [VIDEO_HEADERS.streamArn]: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  [VIDEO_HEADERS.fragmentTimecodeType]: Type.Union([Type.Literal('ABSOLUTE'), Type.Literal('RELATIVE')]),
  /** Seconds since the epoch, with an optional fraction. */
  [VIDEO_HEADERS.producerStartTimestamp]: Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,9})?$' }),
});
type PutMediaHeaders = Static<typeof PutMediaHeaders>;
const checkHeaders = TypeCompiler.Compile(PutMediaHeaders);

/** The original Content-Type, kept while a neutral one lets Fastify route the body to our parser. */
const ORIGINAL_CONTENT_TYPE = Symbol('putMediaContentType');
type WithContentType = FastifyRequest & { [ORIGINAL_CONTENT_TYPE]?: string | undefined };

/**
 * Registers POST /putMedia in an encapsulated scope, so its pass-through body parser does not
 * leak into the app's JSON routes.
 * @example
 * registerPutMedia(app, { writer: store, streams: service, clock, logger });
 */
export function registerPutMedia(app: FastifyInstance, deps: PutMediaDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    // Fastify answers 415 to a malformed Content-Type before any parser runs. PutMedia clients
    // send anything or nothing, so the header is set aside until parsing is done, then restored
    // (the SigV4 check at preHandler must see it as signed).
    scope.addHook('onRequest', async (request: WithContentType) => {
      if (request.headers['content-type'] === undefined) return;
      request[ORIGINAL_CONTENT_TYPE] = request.headers['content-type'];
      request.headers['content-type'] = 'application/octet-stream';
    });
    scope.addHook('preValidation', async (request: WithContentType) => {
      if (ORIGINAL_CONTENT_TYPE in request) request.headers['content-type'] = request[ORIGINAL_CONTENT_TYPE];
    });
    scope.post(PUT_MEDIA_PATH, { config: { streamedBody: true } }, (request, reply) => putMedia(deps, request, reply));
  });
}

async function putMedia(deps: PutMediaDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const headers = parseHeaders(request.headers);
  const nameOrArn = headers[VIDEO_HEADERS.streamName] ?? headers[VIDEO_HEADERS.streamArn];
  if (nameOrArn === undefined) {
    throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: `One of ${VIDEO_HEADERS.streamName} or ${VIDEO_HEADERS.streamArn} is required.` });
  }
  const stream = await deps.streams.stream(nameOrArn);
  if (!stream) throw new RivuletError('VIDEO_STREAM_NOT_FOUND', { stream: nameOrArn });

  const body = (request.body ?? null) as Readable | null;
  const acks = new PassThrough();
  const metrics = (deps.metrics ?? NO_VIDEO_METRICS).stream(stream.streamName);
  // Once the client is gone Fastify destroys `acks`; late acknowledgements are then dropped.
  const emit = (ack: PutMediaAck) => {
    if (ack.EventType === 'PERSISTED') metrics.fragmentPersisted();
    if (!acks.writableEnded && !acks.destroyed) acks.write(`${JSON.stringify(ack)}\n`);
  };
  const session = new PutMediaSession(
    { writer: deps.writer, clock: deps.clock, logger: deps.logger },
    {
      streamName: stream.streamName,
      timecodeType: headers[VIDEO_HEADERS.fragmentTimecodeType],
      producerStartMs: Number(headers[VIDEO_HEADERS.producerStartTimestamp]) * 1000,
      ...(deps.idleIntervalMs === undefined ? {} : { idleIntervalMs: deps.idleIntervalMs }),
    },
    emit,
  );
  void pump(session, stream.status, body, request, deps.logger, metrics)
    .catch((err: unknown) => deps.logger.error({ err, reqId: request.id }, 'PutMedia failed'))
    .finally(() => {
      if (!acks.destroyed) acks.end();
    });
  // One PutMedia per connection, as KVS does: the connection closes with the acknowledgements,
  // so a client still sending after an ERROR is cut off rather than read to the end.
  return reply.status(200).header('content-type', 'application/json').header('connection', 'close').send(acks);
}

/** Feeds the body to the session until it ends, fails, or the client goes away. */
async function pump(session: PutMediaSession, status: string, body: Readable | null, request: FastifyRequest, logger: Logger, metrics: VideoStreamMetrics): Promise<void> {
  if (status !== 'ACTIVE') {
    session.refuseStream();
    return session.end();
  }
  let complete = false;
  try {
    if (body) {
      // destroyOnReturn false: stopping early must not destroy the socket the ERROR still goes out on.
      for await (const chunk of body.iterator({ destroyOnReturn: false })) {
        metrics.bytesIn((chunk as Buffer).byteLength);
        await session.push(chunk as Buffer);
        if (session.done) break;
      }
    }
    complete = true;
  } catch (err) {
    logger.info({ err: (err as Error).message, reqId: request.id }, 'PutMedia client went away mid-request');
  }
  if (!complete || request.raw.readableAborted) {
    session.abort();
    return session.settled();
  }
  return session.end();
}

function parseHeaders(raw: FastifyRequest['headers']): PutMediaHeaders {
  const picked: Record<string, string> = {};
  for (const name of Object.values(VIDEO_HEADERS)) {
    const value = raw[name];
    if (typeof value === 'string') picked[name] = value.trim();
  }
  if (checkHeaders.Check(picked)) return picked;
  const first = checkHeaders.Errors(picked).First();
  const name = first?.path.replace(/^\//, '').replace(/~1/g, '/') ?? 'headers';
  throw new RivuletError('VIDEO_INVALID_ARGUMENT', {
    message: picked[name] === undefined ? `The ${name} header is required.` : `The ${name} header is invalid: ${JSON.stringify(picked[name].slice(0, 64))}.`,
  });
}
