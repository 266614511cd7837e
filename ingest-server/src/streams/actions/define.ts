/** The shape every Data Streams action shares: (service, input, context) => output. */
import type { Static, TSchema } from '@sinclair/typebox';
import { defineAction, type ActionContext, type ActionDef } from '../../plugins/aws-json.js';
import type { StreamsService } from '../service.js';

export type StreamsAction = (svc: StreamsService) => ActionDef;

export function streamsAction<S extends TSchema>(
  name: string,
  input: S,
  run: (svc: StreamsService, input: Static<S>, ctx: ActionContext) => Promise<unknown>,
): StreamsAction {
  return (svc) =>
    defineAction({
      name,
      input,
      run: async (ctx, value) => {
        const synced = svc.sync();
        if (synced) await synced;
        return run(svc, value, ctx);
      },
    }) as unknown as ActionDef;
}
