/**
 * UpdateApplication and the Add/Delete actions for inputs, outputs, reference data sources and
 * logging options, plus the tag actions. Each edits a copy of the application through
 * `svc.modify`, which checks the version and the result before anything is saved.
 */
import { RivuletError } from '@rivulet/shared';
import { takeId, type ApplicationDoc } from '../model.js';
import { Schemas, type ApplicationUpdate } from '../schemas.js';
import { analyticsAction } from './define.js';

function find<T>(list: T[], id: string, key: keyof T, what: string, app: string): T {
  const found = list.find((x) => x[key] === id);
  if (!found) throw new RivuletError('ANALYTICS_NOT_FOUND', { message: `${what} ${id} is not found in application ${app}.` });
  return found;
}

/** Replaces an ARN pair's fields that the update names. */
function updatePair(current: { ResourceARN: string; RoleARN: string } | undefined, update: { ResourceARNUpdate?: string; RoleARNUpdate?: string } | undefined) {
  if (!update) return current;
  return { ResourceARN: update.ResourceARNUpdate ?? current?.ResourceARN ?? '', RoleARN: update.RoleARNUpdate ?? current?.RoleARN ?? '' };
}

function applyUpdate(doc: ApplicationDoc, u: ApplicationUpdate): void {
  if (u.ApplicationCodeUpdate !== undefined) doc.code = u.ApplicationCodeUpdate;
  for (const iu of u.InputUpdates ?? []) {
    const input = find(doc.inputs, iu.InputId, 'InputId', 'Input', doc.name);
    if (iu.NamePrefixUpdate !== undefined) input.NamePrefix = iu.NamePrefixUpdate;
    if (iu.KinesisStreamsInputUpdate) {
      input.KinesisStreamsInput = updatePair(input.KinesisStreamsInput, iu.KinesisStreamsInputUpdate);
      delete input.KinesisFirehoseInput;
    }
    if (iu.KinesisFirehoseInputUpdate) {
      input.KinesisFirehoseInput = updatePair(input.KinesisFirehoseInput, iu.KinesisFirehoseInputUpdate);
      delete input.KinesisStreamsInput;
    }
    const schema = iu.InputSchemaUpdate;
    if (schema?.RecordFormatUpdate) input.InputSchema.RecordFormat = schema.RecordFormatUpdate;
    if (schema?.RecordEncodingUpdate) input.InputSchema.RecordEncoding = schema.RecordEncodingUpdate;
    if (schema?.RecordColumnUpdates) input.InputSchema.RecordColumns = schema.RecordColumnUpdates;
  }
  for (const ou of u.OutputUpdates ?? []) {
    const output = find(doc.outputs, ou.OutputId, 'OutputId', 'Output', doc.name);
    if (ou.NameUpdate !== undefined) output.Name = ou.NameUpdate;
    if (ou.DestinationSchemaUpdate) output.DestinationSchema = ou.DestinationSchemaUpdate;
    const destinations = [ou.KinesisStreamsOutputUpdate, ou.KinesisFirehoseOutputUpdate, ou.LambdaOutputUpdate].filter((d) => d !== undefined);
    if (destinations.length > 1) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: 'An output update names at most one destination.' });
    if (ou.KinesisStreamsOutputUpdate) Object.assign(output, { KinesisStreamsOutput: updatePair(output.KinesisStreamsOutput, ou.KinesisStreamsOutputUpdate), KinesisFirehoseOutput: undefined, LambdaOutput: undefined });
    if (ou.KinesisFirehoseOutputUpdate) Object.assign(output, { KinesisFirehoseOutput: updatePair(output.KinesisFirehoseOutput, ou.KinesisFirehoseOutputUpdate), KinesisStreamsOutput: undefined, LambdaOutput: undefined });
    if (ou.LambdaOutputUpdate) Object.assign(output, { LambdaOutput: updatePair(output.LambdaOutput, ou.LambdaOutputUpdate), KinesisStreamsOutput: undefined, KinesisFirehoseOutput: undefined });
  }
  for (const ru of u.ReferenceDataSourceUpdates ?? []) {
    const ref = find(doc.references, ru.ReferenceId, 'ReferenceId', 'Reference data source', doc.name);
    if (ru.TableNameUpdate !== undefined) ref.TableName = ru.TableNameUpdate;
    if (ru.ReferenceSchemaUpdate) ref.ReferenceSchema = ru.ReferenceSchemaUpdate;
    const s3 = ru.S3ReferenceDataSourceUpdate;
    if (s3) {
      const current = ref.S3ReferenceDataSource ?? { BucketARN: '', FileKey: '', ReferenceRoleARN: '' };
      ref.S3ReferenceDataSource = {
        BucketARN: s3.BucketARNUpdate ?? current.BucketARN,
        FileKey: s3.FileKeyUpdate ?? current.FileKey,
        ReferenceRoleARN: s3.ReferenceRoleARNUpdate ?? current.ReferenceRoleARN,
      };
    }
  }
  for (const cu of u.CloudWatchLoggingOptionUpdates ?? []) {
    const option = find(doc.logging, cu.CloudWatchLoggingOptionId, 'CloudWatchLoggingOptionId', 'CloudWatch logging option', doc.name);
    if (cu.LogStreamARNUpdate) option.LogStreamARN = cu.LogStreamARNUpdate;
    if (cu.RoleARNUpdate) option.RoleARN = cu.RoleARNUpdate;
  }
}

export const updateApplication = analyticsAction('UpdateApplication', Schemas.UpdateApplication, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => applyUpdate(doc, input.ApplicationUpdate));
  return {};
});

export const addApplicationInput = analyticsAction('AddApplicationInput', Schemas.AddApplicationInput, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    if (doc.inputs.length > 0) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `Application ${doc.name} already has an input; an application has at most one.` });
    doc.inputs.push({ ...input.Input, InputId: takeId(doc) });
  });
  return {};
});

export const addApplicationOutput = analyticsAction('AddApplicationOutput', Schemas.AddApplicationOutput, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    doc.outputs.push({ ...input.Output, OutputId: takeId(doc) });
  });
  return {};
});

export const deleteApplicationOutput = analyticsAction('DeleteApplicationOutput', Schemas.DeleteApplicationOutput, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    find(doc.outputs, input.OutputId, 'OutputId', 'Output', doc.name);
    doc.outputs = doc.outputs.filter((o) => o.OutputId !== input.OutputId);
  });
  return {};
});

export const addApplicationReferenceDataSource = analyticsAction('AddApplicationReferenceDataSource', Schemas.AddApplicationReferenceDataSource, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    if (doc.references.some((r) => r.TableName === input.ReferenceDataSource.TableName)) {
      throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `Application ${doc.name} already has a reference table ${input.ReferenceDataSource.TableName}.` });
    }
    doc.references.push({ ...input.ReferenceDataSource, ReferenceId: takeId(doc) });
  });
  return {};
});

export const deleteApplicationReferenceDataSource = analyticsAction('DeleteApplicationReferenceDataSource', Schemas.DeleteApplicationReferenceDataSource, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    find(doc.references, input.ReferenceId, 'ReferenceId', 'Reference data source', doc.name);
    doc.references = doc.references.filter((r) => r.ReferenceId !== input.ReferenceId);
  });
  return {};
});

export const addApplicationCloudWatchLoggingOption = analyticsAction('AddApplicationCloudWatchLoggingOption', Schemas.AddApplicationCloudWatchLoggingOption, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    doc.logging.push({ ...input.CloudWatchLoggingOption, CloudWatchLoggingOptionId: takeId(doc) });
  });
  return {};
});

export const deleteApplicationCloudWatchLoggingOption = analyticsAction('DeleteApplicationCloudWatchLoggingOption', Schemas.DeleteApplicationCloudWatchLoggingOption, async (svc, input) => {
  await svc.modify(input.ApplicationName, input.CurrentApplicationVersionId, (doc) => {
    find(doc.logging, input.CloudWatchLoggingOptionId, 'CloudWatchLoggingOptionId', 'CloudWatch logging option', doc.name);
    doc.logging = doc.logging.filter((c) => c.CloudWatchLoggingOptionId !== input.CloudWatchLoggingOptionId);
  });
  return {};
});

function appOfArn(svc: Parameters<Parameters<typeof analyticsAction>[2]>[0], arn: string): ApplicationDoc {
  return svc.require(arn.slice(arn.lastIndexOf('/') + 1));
}

export const tagResource = analyticsAction('TagResource', Schemas.TagResource, async (svc, input) => {
  const doc = appOfArn(svc, input.ResourceARN);
  const tags = { ...doc.tags };
  for (const t of input.Tags) tags[t.Key] = t.Value ?? '';
  if (Object.keys(tags).length > 50) throw new RivuletError('ANALYTICS_LIMIT', { message: 'An application has at most 50 tags.' });
  doc.tags = tags;
  await svc.saveTags(doc);
  return {};
});

export const untagResource = analyticsAction('UntagResource', Schemas.UntagResource, async (svc, input) => {
  const doc = appOfArn(svc, input.ResourceARN);
  for (const k of input.TagKeys) delete doc.tags[k];
  await svc.saveTags(doc);
  return {};
});

export const listTagsForResource = analyticsAction('ListTagsForResource', Schemas.ListTagsForResource, async (svc, input) => ({
  Tags: Object.entries(appOfArn(svc, input.ResourceARN).tags).map(([Key, Value]) => ({ Key, Value })),
}));
