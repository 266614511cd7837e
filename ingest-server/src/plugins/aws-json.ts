/**
 * The AWS JSON 1.0/1.1 transport: one POST / route that reads X-Amz-Target, validates the body
 * against the action's schema and calls the action. Services register tables of actions under
 * their target prefix (Kinesis_20131202, Firehose_20150804, ...). Owns parsing and dispatch;
 * error bodies are written by plugins/errors.ts.
 */
import { Readable } from 'node:stream';
import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AMZ_JSON_1_0, AMZ_JSON_1_1, HEADERS, RivuletError } from '@rivulet/shared';
import { compileValidator, type InputValidator } from './aws-validation.js';
import { parseJsonBuffer } from './json-buffer.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/** A response body already serialized (hot paths build their JSON by hand), whole or in blocks. */
export class RawJson {
  constructor(
    readonly body: string | Buffer | readonly Buffer[],
    readonly byteLength?: number,
  ) {}
}

export interface ActionContext {
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface ActionDef<S extends TSchema = TSchema> {
  name: string;
  input: S;
  run(ctx: ActionContext, input: Static<S>): Promise<unknown>;
}

/** Declares one action; the generic ties the handler's input type to its schema. */
export function defineAction<S extends TSchema>(def: ActionDef<S>): ActionDef<S> {
  return def;
}

interface CompiledAction {
  def: ActionDef;
  validator: InputValidator<unknown>;
}

export class AwsJsonRouter {
  private readonly services = new Map<string, Map<string, CompiledAction>>();

  addService(targetPrefix: string, actions: readonly ActionDef<TSchema>[]): void {
    const table = new Map<string, CompiledAction>();
    for (const def of actions) table.set(def.name, { def: def as ActionDef, validator: compileValidator(def.input) });
    this.services.set(targetPrefix, table);
  }

  /** Registers the content-type parsers and the POST / route on `app`. */
  register(app: FastifyInstance): void {
    const parse = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      _req.rawBody = body;
      if (body.byteLength === 0) return done(null, {});
      try {
        const value = parseJsonBuffer(body);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return done(new RivuletError('PROTOCOL_SERIALIZATION', { message: 'The request body must be a JSON object' }));
        }
        done(null, value);
      } catch (cause) {
        done(new RivuletError('PROTOCOL_SERIALIZATION', { message: 'Start of structure or map found where not expected.' }, { cause }));
      }
    };
    for (const type of [AMZ_JSON_1_1, AMZ_JSON_1_0]) app.addContentTypeParser(type, { parseAs: 'buffer' }, parse);
    app.post('/', (request, reply) => this.dispatch(request, reply));
  }

  private async dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const target = request.headers[HEADERS.target];
    const parts = typeof target === 'string' ? target.split('.') : [];
    const [prefix, name] = parts.length === 2 ? parts : [];
    const action = prefix !== undefined && name !== undefined ? this.services.get(prefix)?.get(name) : undefined;
    if (!action) {
      throw new RivuletError('PROTOCOL_UNKNOWN_OPERATION', { message: typeof target === 'string' ? `Unknown operation ${target}` : 'Missing X-Amz-Target header' });
    }
    const body: unknown = request.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new RivuletError('PROTOCOL_SERIALIZATION', { message: 'Request body must be a JSON object' });
    }
    const input = action.validator.validate(body);
    const output = await action.def.run({ request, reply }, input);
    reply.header('content-type', AMZ_JSON_1_1);
    if (output instanceof RawJson) {
      const { body } = output;
      if (typeof body === 'string' || Buffer.isBuffer(body)) return reply.send(body);
      // Blocks go out as a stream with a known length: no body-sized Buffer is ever built.
      reply.header('content-length', output.byteLength ?? body.reduce((n, b) => n + b.byteLength, 0));
      return reply.send(Readable.from(body, { objectMode: false }));
    }
    return reply.send(JSON.stringify(output ?? {}));
  }
}
