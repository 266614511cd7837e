/** The shape every Firehose action shares: (service, input, context) => output. */
import type { Static, TSchema } from '@sinclair/typebox';
import { defineAction, type ActionContext, type ActionDef } from '../../plugins/aws-json.js';
import type { FirehoseService } from '../service.js';

export type FirehoseAction = (svc: FirehoseService) => ActionDef;

export function firehoseAction<S extends TSchema>(
  name: string,
  input: S,
  run: (svc: FirehoseService, input: Static<S>, ctx: ActionContext) => Promise<unknown>,
): FirehoseAction {
  return (svc) => defineAction({ name, input, run: (ctx, value) => run(svc, value, ctx) }) as unknown as ActionDef;
}
