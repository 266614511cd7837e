/**
 * The shape every video action shares: a POST path, an input schema and
 * (service, input, context) => output. Output is a JSON object, or a MediaPayload for the
 * operations that answer with media bytes. No Fastify types: routes.ts adapts these.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { VideoService } from '../service.js';

/** What an action may know about the request it serves. */
export interface VideoRequestContext {
  /** This server as the client reached it, e.g. "http://127.0.0.1:4567". */
  baseUrl: string;
}

/** A media response: the body is streamed chunk by chunk, never gathered in one buffer. */
export class MediaPayload {
  constructor(
    readonly contentType: string,
    readonly chunks: AsyncIterable<Buffer>,
  ) {}
}

export interface VideoAction {
  /** The REST path, e.g. "/createStream". */
  path: string;
  input: TSchema;
  run(svc: VideoService, input: unknown, ctx: VideoRequestContext): Promise<object | MediaPayload>;
}

export function videoAction<S extends TSchema>(
  path: string,
  input: S,
  run: (svc: VideoService, input: Static<S>, ctx: VideoRequestContext) => Promise<object | MediaPayload>,
): VideoAction {
  return { path, input, run: (svc, value, ctx) => run(svc, value as Static<S>, ctx) };
}
