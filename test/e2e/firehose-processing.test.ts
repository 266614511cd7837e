/**
 * Firehose processing through the stock SDK: a Lambda-contract transformation (a real local JS
 * module) returning Ok, Dropped and ProcessingFailed, jq-style partition keys plus the Lambda's
 * partition keys, dynamic-partitioning prefixes, and the error output for failed records.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockFirehose } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';
import { tempDir } from '../harness/ingest.js';
import { bucketObjects } from '../harness/buckets.js';

let srv: InProcessServer;
let fh: FirehoseClient;
const fnDir = tempDir('rivulet-fh-fn-');
const FUNCTION = `
export async function handler(event) {
  return {
    records: event.records.map((r) => {
      const doc = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8'));
      if (doc.action === 'drop') return { recordId: r.recordId, result: 'Dropped' };
      if (doc.action === 'fail') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
      const out = { ...doc, seen: true };
      return { recordId: r.recordId, result: 'Ok', data: Buffer.from(JSON.stringify(out)).toString('base64'), metadata: { partitionKeys: { device: doc.device } } };
    }),
  };
}
`;

beforeAll(async () => {
  mkdirSync(fnDir, { recursive: true });
  writeFileSync(join(fnDir, 'transform.mjs'), FUNCTION);
  srv = await startInProcess({ firehose: { functions: { transformer: { module: join(fnDir, 'transform.mjs') } } } });
  fh = stockFirehose(srv.endpoint);
});
afterAll(async () => {
  fh?.destroy();
  await srv?.close();
});

function objects(root: string): Map<string, string> {
  return new Map([...bucketObjects(root)].map(([k, v]) => [k, v.toString('utf8')]));
}

describe('Firehose transformation and dynamic partitioning', () => {
  it('routes Ok records by query and Lambda keys, drops Dropped, and writes failures to the error prefix', async () => {
    await fh.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'parts',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/r',
          BucketARN: 'arn:aws:s3:::parts-bucket',
          Prefix: 'site=!{partitionKeyFromQuery:site}/device=!{partitionKeyFromLambda:device}/',
          ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
          DynamicPartitioningConfiguration: { Enabled: true },
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              { Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:000000000000:function:transformer' }] },
              { Type: 'MetadataExtraction', Parameters: [{ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{site:.site}' }, { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }] },
              { Type: 'AppendDelimiterToRecord' },
            ],
          },
        },
      }),
    );
    const input = [
      { n: 0, site: 'a', device: 'd1' },
      { n: 1, site: 'a', device: 'd2' },
      { n: 2, site: 'b', device: 'd1', action: 'drop' },
      { n: 3, site: 'b', device: 'd1' },
      { n: 4, site: 'b', device: 'd1', action: 'fail' },
      { n: 5, device: 'd1' },
      { n: 6, site: 'a', device: 'd1' },
    ];
    const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'parts', Records: input.map((d) => ({ Data: Buffer.from(JSON.stringify(d)) })) }));
    expect(out.FailedPutCount).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    srv.clock.advance(60_000);
    const root = join(srv.dataDir, 'firehose', 'buckets', 'parts-bucket');
    const deadline = Date.now() + 10_000;
    let got = new Map<string, string>();
    while (Date.now() < deadline) {
      got = objects(root);
      if (got.size >= 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const byPrefix = new Map<string, string[]>();
    for (const [key, body] of got) {
      const prefix = key.slice(0, key.lastIndexOf('/') + 1);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), ...body.split('\n').filter(Boolean)]);
    }
    expect([...byPrefix.keys()].sort()).toEqual(['errors/partitioning-failed/', 'errors/processing-failed/', 'site=a/device=d1/', 'site=a/device=d2/', 'site=b/device=d1/']);
    const ns = (prefix: string) => byPrefix.get(prefix)!.map((l) => (JSON.parse(l) as { n: number; seen: boolean }).n);
    expect(ns('site=a/device=d1/')).toEqual([0, 6]);
    expect(ns('site=a/device=d2/')).toEqual([1]);
    expect(ns('site=b/device=d1/')).toEqual([3]);
    expect(byPrefix.get('site=a/device=d1/')!.every((l) => (JSON.parse(l) as { seen: boolean }).seen)).toBe(true);
    const failed = byPrefix.get('errors/processing-failed/')!.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ errorCode: expect.any(String), lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:transformer', attemptsMade: expect.any(Number) });
    expect(JSON.parse(Buffer.from(failed[0]!.rawData as string, 'base64').toString())).toEqual(input[4]);
    const partFailed = byPrefix.get('errors/partitioning-failed/')!.map((l) => JSON.parse(l) as { rawData: string; errorCode: string });
    expect(partFailed).toHaveLength(1);
    expect((JSON.parse(Buffer.from(partFailed[0]!.rawData, 'base64').toString()) as { n: number }).n).toBe(5);
  });

  it('refuses a Lambda that is not configured and a query that does not parse', async () => {
    const base = { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::x-bucket', Prefix: 'k=!{partitionKeyFromQuery:k}/', ErrorOutputPrefix: 'e/!{firehose:error-output-type}/', DynamicPartitioningConfiguration: { Enabled: true } };
    const create = (processors: unknown[]) =>
      fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'refused', ExtendedS3DestinationConfiguration: { ...base, ProcessingConfiguration: { Enabled: true, Processors: processors as never } } }));
    await expect(create([{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:000000000000:function:nope' }] }])).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(create([{ Type: 'MetadataExtraction', Parameters: [{ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{k: .a | length}' }, { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }] }])).rejects.toMatchObject({ name: 'InvalidArgumentException' });
  });
});
