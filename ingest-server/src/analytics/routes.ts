/** The Analytics action table (KinesisAnalytics_20150814.*), bound to one AnalyticsService. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { TARGET_PREFIX } from '@rivulet/shared';
import type { AwsJsonRouter } from '../plugins/aws-json.js';
import {
  addApplicationCloudWatchLoggingOption,
  addApplicationInput,
  addApplicationOutput,
  addApplicationReferenceDataSource,
  deleteApplicationCloudWatchLoggingOption,
  deleteApplicationOutput,
  deleteApplicationReferenceDataSource,
  listTagsForResource,
  tagResource,
  untagResource,
  updateApplication,
} from './actions/configure.js';
import type { AnalyticsAction } from './actions/define.js';
import { discoverInputSchema } from './actions/discover.js';
import { createApplication, deleteApplication, describeApplicationAction, listApplications, startApplication, stopApplication } from './actions/lifecycle.js';
import { runQuery } from './query.js';
import { SourceSchema } from './schemas.js';
import type { AnalyticsService } from './service.js';

export const ANALYTICS_ACTIONS: readonly AnalyticsAction[] = [
  createApplication,
  describeApplicationAction,
  listApplications,
  deleteApplication,
  startApplication,
  stopApplication,
  updateApplication,
  addApplicationInput,
  addApplicationOutput,
  deleteApplicationOutput,
  addApplicationReferenceDataSource,
  deleteApplicationReferenceDataSource,
  addApplicationCloudWatchLoggingOption,
  deleteApplicationCloudWatchLoggingOption,
  tagResource,
  untagResource,
  listTagsForResource,
  discoverInputSchema,
];

export function registerAnalyticsRoutes(router: AwsJsonRouter, svc: AnalyticsService): void {
  router.addService(
    TARGET_PREFIX.analytics,
    ANALYTICS_ACTIONS.map((make) => make(svc)),
  );
}

/** The path of the ad-hoc query endpoint. */
export const QUERY_PATH = '/analytics/query';

const QueryBody = Type.Object({
  StreamName: Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$' }),
  Sql: Type.String({ minLength: 1, maxLength: 102_400 }),
  InputSchema: Type.Optional(SourceSchema),
  StartTimestampMs: Type.Optional(Type.Number({ minimum: 0 })),
  Limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
});

/**
 * POST /analytics/query {StreamName, Sql, InputSchema?, StartTimestampMs?, Limit?}: runs one
 * SELECT over the stream's retained records and answers {Columns, Rows, Truncated, ...}.
 * Errors come in the AWS JSON shape (CodeValidationException with the line and column).
 */
export function registerAnalyticsQueryRoute(app: FastifyInstance, svc: AnalyticsService): void {
  app.post(QUERY_PATH, { schema: { body: QueryBody } }, async (request) => {
    const body = request.body as Parameters<typeof runQuery>[0];
    return runQuery(body, { streams: svc.deps.streams, clock: svc.deps.clock });
  });
}
