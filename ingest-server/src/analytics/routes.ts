/** The Analytics action table (KinesisAnalytics_20150814.*), bound to one AnalyticsService. */
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
import { createApplication, deleteApplication, describeApplicationAction, listApplications, startApplication, stopApplication } from './actions/lifecycle.js';
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
];

export function registerAnalyticsRoutes(router: AwsJsonRouter, svc: AnalyticsService): void {
  router.addService(
    TARGET_PREFIX.analytics,
    ANALYTICS_ACTIONS.map((make) => make(svc)),
  );
}
