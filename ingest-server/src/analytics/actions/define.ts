/** The shape every Analytics action shares: (service, input, context) => output. */
import type { Static, TSchema } from '@sinclair/typebox';
import { defineAction, type ActionContext, type ActionDef } from '../../plugins/aws-json.js';
import type { AnalyticsService } from '../service.js';

export type AnalyticsAction = (svc: AnalyticsService) => ActionDef;

export function analyticsAction<S extends TSchema>(
  name: string,
  input: S,
  run: (svc: AnalyticsService, input: Static<S>, ctx: ActionContext) => Promise<unknown>,
): AnalyticsAction {
  return (svc) => defineAction({ name, input, run: (ctx, value) => run(svc, value, ctx) }) as unknown as ActionDef;
}
