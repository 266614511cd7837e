/** CreateApplication, DescribeApplication, ListApplications, DeleteApplication, StartApplication, StopApplication. */
import { RivuletError } from '@rivulet/shared';
import { describeApplication, summarizeApplication, takeId, type ApplicationDoc } from '../model.js';
import { Schemas } from '../schemas.js';
import { analyticsAction } from './define.js';

export const createApplication = analyticsAction('CreateApplication', Schemas.CreateApplication, async (svc, input) => {
  const now = svc.deps.clock.now();
  const doc: ApplicationDoc = {
    name: input.ApplicationName,
    arn: svc.arnFor(input.ApplicationName),
    ...(input.ApplicationDescription !== undefined ? { description: input.ApplicationDescription } : {}),
    status: 'READY',
    createdMs: now,
    updatedMs: now,
    versionId: 1,
    code: input.ApplicationCode ?? '',
    inputs: [],
    outputs: [],
    references: [],
    logging: [],
    tags: Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value ?? ''])),
    nextId: 1,
  };
  for (const i of input.Inputs ?? []) doc.inputs.push({ ...i, InputId: takeId(doc) });
  for (const o of input.Outputs ?? []) doc.outputs.push({ ...o, OutputId: takeId(doc) });
  for (const c of input.CloudWatchLoggingOptions ?? []) doc.logging.push({ ...c, CloudWatchLoggingOptionId: takeId(doc) });
  await svc.create(doc);
  return { ApplicationSummary: summarizeApplication(doc) };
});

export const describeApplicationAction = analyticsAction('DescribeApplication', Schemas.DescribeApplication, async (svc, input) => ({
  ApplicationDetail: describeApplication(svc.require(input.ApplicationName)),
}));

export const listApplications = analyticsAction('ListApplications', Schemas.ListApplications, async (svc, input) => {
  const limit = input.Limit ?? 50;
  const all = svc.list().filter((d) => input.ExclusiveStartApplicationName === undefined || d.name > input.ExclusiveStartApplicationName);
  return { ApplicationSummaries: all.slice(0, limit).map(summarizeApplication), HasMoreApplications: all.length > limit };
});

export const deleteApplication = analyticsAction('DeleteApplication', Schemas.DeleteApplication, async (svc, input) => {
  await svc.delete(input.ApplicationName, input.CreateTimestamp);
  return {};
});

export const startApplication = analyticsAction('StartApplication', Schemas.StartApplication, async (svc, input) => {
  const doc = svc.require(input.ApplicationName);
  const configs = input.InputConfigurations;
  for (const c of configs) {
    if (!doc.inputs.some((i) => i.InputId === c.Id)) throw new RivuletError('ANALYTICS_NOT_FOUND', { message: `Input ${c.Id} is not found in application ${doc.name}.` });
  }
  const position = configs[0]?.InputStartingPositionConfiguration.InputStartingPosition ?? 'NOW';
  await svc.startApplication(input.ApplicationName, position);
  return {};
});

export const stopApplication = analyticsAction('StopApplication', Schemas.StopApplication, async (svc, input) => {
  await svc.stopApplication(input.ApplicationName);
  return {};
});
