/**
 * The archive's HTTP face: REST-JSON POSTs (/getClip, /getHLSStreamingSessionURL, /getImages,
 * /getMedia) and the HLS GETs under /hls/v1/, which carry a session token instead of SigV4.
 * Thin: validate, call the service, write the reply; streams are torn down (ffmpeg killed) when
 * the client disconnects. Errors leave through the app's AWS error handler.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RivuletError } from '@rivulet/shared';
import type { TSchema } from '@sinclair/typebox';
import { compileValidator, type InputValidator } from '../../plugins/aws-validation.js';
import { REST_JSON_CONTENT_TYPE, registerRestJsonParser } from '../rest-json.js';
import { getClip } from './clip.js';
import type { ArchiveContext } from './context.js';
import { getMedia } from './get-media.js';
import { HLS_FILES, HLS_PREFIX } from './hls-playlist.js';
import { createHlsSession, masterText, mediaText, mp4Init, mp4Media, openSession, sessionUrl, tsSegment } from './hls-service.js';
import { getImages } from './images.js';
import { GetClipInput, GetHlsUrlInput, GetImagesInput, GetMediaInput, HlsQuery } from './schemas.js';
import { verifySessionToken } from './session-token.js';

const JSON_TYPE = REST_JSON_CONTENT_TYPE;
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

/** Kinesis Video answers a broken constraint with InvalidArgumentException, not ValidationException. */
function videoValidator<T>(schema: TSchema): InputValidator<T> {
  const inner = compileValidator<T>(schema);
  return {
    validate(input: unknown): T {
      try {
        return inner.validate(input);
      } catch (err) {
        if (err instanceof RivuletError && err.code === 'PROTOCOL_VALIDATION') throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: err.message }, { cause: err });
        throw err;
      }
    },
  };
}

/** Sends a stream and kills its producer if the client leaves before the end. */
function sendStream(reply: FastifyReply, contentType: string, stream: Readable, kill: () => void): FastifyReply {
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) kill();
  });
  return reply.header('content-type', contentType).send(stream);
}

export function archiveRoutes(ctx: ArchiveContext, baseUrl: string | undefined) {
  const clip = videoValidator<GetClipInput>(GetClipInput);
  const hlsUrl = videoValidator<GetHlsUrlInput>(GetHlsUrlInput);
  const images = videoValidator<GetImagesInput>(GetImagesInput);
  const media = videoValidator<GetMediaInput>(GetMediaInput);
  const query = videoValidator<HlsQuery>(HlsQuery);

  /** SigV4 is waived for an HLS GET exactly when its session token verifies (plugins/sigv4-auth.ts). */
  const tokenVerifies = (request: FastifyRequest): boolean => {
    const token = (request.query as { SessionToken?: unknown } | undefined)?.SessionToken;
    return typeof token === 'string' && verifySessionToken(token, ctx.sessionKey, ctx.clock.now()).ok;
  };

  return async function plugin(scope: FastifyInstance): Promise<void> {
    // REST-JSON bodies; the raw bytes are kept because SigV4 signs them.
    registerRestJsonParser(scope);

    scope.post('/getClip', async (request, reply) => {
      const result = await getClip(ctx, clip.validate(request.body ?? {}));
      return sendStream(reply, result.contentType, result.stream, result.kill);
    });

    scope.post('/getHLSStreamingSessionURL', async (request, reply) => {
      const session = await createHlsSession(ctx, hlsUrl.validate(request.body ?? {}));
      const base = baseUrl ?? `${request.protocol}://${request.host}`;
      return reply.header('content-type', JSON_TYPE).send(JSON.stringify({ HLSStreamingSessionURL: sessionUrl(ctx, session, base) }));
    });

    scope.post('/getImages', async (request, reply) => {
      const result = await getImages(ctx, images.validate(request.body ?? {}));
      return reply.header('content-type', JSON_TYPE).send(JSON.stringify(result));
    });

    scope.post('/getMedia', async (request, reply) => {
      const stream = await getMedia(ctx, media.validate(request.body ?? {}));
      return sendStream(reply, 'video/webm', stream, () => stream.destroy());
    });

    const hlsGet = (file: string, handle: (q: HlsQuery, reply: FastifyReply) => Promise<FastifyReply>) =>
      scope.get(`${HLS_PREFIX}${file}`, { config: { verifyOwnCredential: tokenVerifies } }, async (request, reply) => handle(query.validate(request.query ?? {}), reply));

    hlsGet(HLS_FILES.master, async (q, reply) => {
      const session = openSession(ctx, q.SessionToken);
      return reply.header('content-type', PLAYLIST_TYPE).send(masterText(session, q.SessionToken as string));
    });
    hlsGet(HLS_FILES.media, async (q, reply) => {
      const session = openSession(ctx, q.SessionToken);
      return reply.header('content-type', PLAYLIST_TYPE).send(await mediaText(ctx, session, q.SessionToken as string));
    });
    hlsGet(HLS_FILES.ts, async (q, reply) => {
      const { stream, kill } = await tsSegment(ctx, openSession(ctx, q.SessionToken), q.FragmentNumber);
      return sendStream(reply, 'video/mp2t', stream, kill);
    });
    hlsGet(HLS_FILES.init, async (q, reply) => reply.header('content-type', 'video/mp4').send(await mp4Init(ctx, openSession(ctx, q.SessionToken), q.FragmentNumber)));
    hlsGet(HLS_FILES.mp4, async (q, reply) => reply.header('content-type', 'video/mp4').send(await mp4Media(ctx, openSession(ctx, q.SessionToken), q.FragmentNumber)));
  };
}
