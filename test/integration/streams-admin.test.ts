import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  DisableEnhancedMonitoringCommand,
  EnableEnhancedMonitoringCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  ListStreamConsumersCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  RemoveTagsFromStreamCommand,
  StartStreamEncryptionCommand,
  UpdateStreamModeCommand,
  paginateListStreams,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite();

/** Runs a promise that must fail and returns the SDK error's name, message and status. */
async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('stream lifecycle', () => {
  it('creates, describes, summarises and deletes a stream', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'life', ShardCount: 3, Tags: { team: 'edge' } }));
    const { StreamDescription: d } = await suite.kinesis.send(new DescribeStreamCommand({ StreamName: 'life' }));
    expect(d!.StreamStatus).toBe('ACTIVE');
    expect(d!.StreamARN).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/life');
    expect(d!.Shards).toHaveLength(3);
    expect(d!.RetentionPeriodHours).toBe(24);
    expect(d!.StreamCreationTimestamp).toBeInstanceOf(Date);
    expect(d!.Shards![0]!.HashKeyRange!.StartingHashKey).toBe('0');
    expect(d!.Shards![2]!.HashKeyRange!.EndingHashKey).toBe('340282366920938463463374607431768211455');
    const { StreamDescriptionSummary: s } = await suite.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: d!.StreamARN }));
    expect(s!.OpenShardCount).toBe(3);
    expect(s!.StreamModeDetails!.StreamMode).toBe('PROVISIONED');
    await suite.kinesis.send(new DeleteStreamCommand({ StreamName: 'life' }));
    const gone = await failure(suite.kinesis.send(new DescribeStreamCommand({ StreamName: 'life' })));
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.status).toBe(400);
  });

  it('refuses a duplicate name with ResourceInUseException and a bad name with ValidationException', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'dup', ShardCount: 1 }));
    expect((await failure(suite.kinesis.send(new CreateStreamCommand({ StreamName: 'dup', ShardCount: 1 })))).name).toBe('ResourceInUseException');
    const bad = await failure(suite.kinesis.send(new CreateStreamCommand({ StreamName: 'no spaces!', ShardCount: 1 })));
    expect(bad.name).toBe('ValidationException');
    expect(bad.message).toContain("at 'streamName'");
    expect((await failure(suite.kinesis.send(new CreateStreamCommand({ StreamName: 'zero', ShardCount: 0 })))).name).toBe('ValidationException');
    expect((await failure(suite.kinesis.send(new CreateStreamCommand({ StreamName: 'noshards' })))).name).toBe('InvalidArgumentException');
  });

  it('refuses more shards than the account limit with LimitExceededException', async () => {
    const err = await failure(suite.kinesis.send(new CreateStreamCommand({ StreamName: 'huge', ShardCount: 10_000 })));
    expect(err.name).toBe('LimitExceededException');
    const limits = await suite.kinesis.send(new DescribeLimitsCommand({}));
    expect(limits.ShardLimit).toBe(500);
    expect(limits.OpenShardCount).toBeGreaterThanOrEqual(1);
    expect(limits.OnDemandStreamCountLimit).toBe(50);
  });

  it('lists streams with pagination', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await suite.kinesis.send(new CreateStreamCommand({ StreamName: n, ShardCount: 1 }));
    const first = await suite.kinesis.send(new ListStreamsCommand({ Limit: 2 }));
    expect(first.StreamNames).toHaveLength(2);
    expect(first.HasMoreStreams).toBe(true);
    expect(first.NextToken).toBeTruthy();
    const names: string[] = [];
    for await (const page of paginateListStreams({ client: suite.kinesis, pageSize: 2 }, {})) names.push(...(page.StreamNames ?? []));
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(new Set(names).size).toBe(names.length);
    const after = await suite.kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'page-a', Limit: 1 }));
    expect(after.StreamNames).toEqual(['page-b']);
  });

  it('lists shards with MaxResults, NextToken, ExclusiveStartShardId and ShardFilter', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'shards', ShardCount: 5 }));
    const first = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'shards', MaxResults: 2 }));
    expect(first.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    const second = await suite.kinesis.send(new ListShardsCommand({ NextToken: first.NextToken, MaxResults: 10 }));
    expect(second.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000002', 'shardId-000000000003', 'shardId-000000000004']);
    expect(second.NextToken).toBeUndefined();
    const both = await failure(suite.kinesis.send(new ListShardsCommand({ StreamName: 'shards', NextToken: first.NextToken })));
    expect(both.name).toBe('InvalidArgumentException');
    const after = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'shards', ExclusiveStartShardId: 'shardId-000000000003' }));
    expect(after.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000004']);
    const filtered = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'shards', ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: 'shardId-000000000002' } }));
    expect(filtered.Shards!.map((s) => s.ShardId)).toEqual(['shardId-000000000003', 'shardId-000000000004']);
    const latest = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'shards', ShardFilter: { Type: 'AT_LATEST' } }));
    expect(latest.Shards).toHaveLength(5);
  });

  it('switches stream mode and creates ON_DEMAND streams with 4 shards', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    const { StreamDescriptionSummary: s } = await suite.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'od' }));
    expect(s!.StreamModeDetails!.StreamMode).toBe('ON_DEMAND');
    expect(s!.OpenShardCount).toBe(4);
    await suite.kinesis.send(new UpdateStreamModeCommand({ StreamARN: s!.StreamARN, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
    const after = await suite.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'od' }));
    expect(after.StreamDescriptionSummary!.StreamModeDetails!.StreamMode).toBe('PROVISIONED');
    const missing = await failure(suite.kinesis.send(new UpdateStreamModeCommand({ StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/nope', StreamModeDetails: { StreamMode: 'ON_DEMAND' } })));
    expect(missing.name).toBe('ResourceNotFoundException');
  });
});

describe('retention, tags, monitoring and consumers', () => {
  it('raises retention to 168 and on to 8760 hours, and refuses the wrong direction', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'ret', ShardCount: 1 }));
    await suite.kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'ret', RetentionPeriodHours: 168 }));
    await suite.kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'ret', RetentionPeriodHours: 8760 }));
    expect((await suite.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'ret' }))).StreamDescriptionSummary!.RetentionPeriodHours).toBe(8760);
    expect((await failure(suite.kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'ret', RetentionPeriodHours: 48 })))).name).toBe('InvalidArgumentException');
    expect((await failure(suite.kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'ret', RetentionPeriodHours: 8761 })))).name).toBe('ValidationException');
    await suite.kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'ret', RetentionPeriodHours: 24 }));
    expect((await failure(suite.kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'ret', RetentionPeriodHours: 12 })))).name).toBe('InvalidArgumentException');
  });

  it('adds, lists and removes tags', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'tags', ShardCount: 1 }));
    await suite.kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tags', Tags: { b: '2', a: '1', c: '3' } }));
    const page = await suite.kinesis.send(new ListTagsForStreamCommand({ StreamName: 'tags', Limit: 2 }));
    expect(page.Tags).toEqual([{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
    expect(page.HasMoreTags).toBe(true);
    await suite.kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'tags', TagKeys: ['a'] }));
    const rest = await suite.kinesis.send(new ListTagsForStreamCommand({ StreamName: 'tags', ExclusiveStartTagKey: 'a' }));
    expect(rest.Tags!.map((t) => t.Key)).toEqual(['b', 'c']);
    expect(rest.HasMoreTags).toBe(false);
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
    for (let i = 0; i < 4; i++) {
      await suite.kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tags', Tags: Object.fromEntries(Object.keys(many).map((k) => [`${k}-${i}`, 'v'])) }));
    }
    const over = await failure(suite.kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tags', Tags: many })));
    expect(over.name).toBe('LimitExceededException');
  });

  it('refuses encryption with an unknown key or type', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'enc-errors', ShardCount: 1 }));
    const unknown = await failure(suite.kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'enc-errors', EncryptionType: 'KMS', KeyId: 'alias/not-a-key' })));
    expect(unknown.name).toBe('KMSNotFoundException');
    const none = await failure(suite.kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'enc-errors', EncryptionType: 'NONE', KeyId: 'alias/aws/kinesis' })));
    expect(none.name).toBe('InvalidArgumentException');
    const { StreamDescriptionSummary } = await suite.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'enc-errors' }));
    expect(StreamDescriptionSummary!.EncryptionType).toBe('NONE');
  });

  it('enables and disables enhanced monitoring', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'mon', ShardCount: 1 }));
    const on = await suite.kinesis.send(new EnableEnhancedMonitoringCommand({ StreamName: 'mon', ShardLevelMetrics: ['IncomingBytes'] }));
    expect(on.DesiredShardLevelMetrics).toEqual(['IncomingBytes']);
    const off = await suite.kinesis.send(new DisableEnhancedMonitoringCommand({ StreamName: 'mon', ShardLevelMetrics: ['IncomingBytes'] }));
    expect(off.CurrentShardLevelMetrics).toEqual(['IncomingBytes']);
    expect(off.DesiredShardLevelMetrics).toEqual([]);
  });

  it('registers, describes, lists and deregisters consumers, and guards DeleteStream', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'cons', ShardCount: 1 }));
    const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/cons';
    const reg = await suite.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app-1' }));
    expect(reg.Consumer!.ConsumerStatus).toBe('ACTIVE');
    expect(reg.Consumer!.ConsumerARN).toMatch(/^arn:aws:kinesis:us-east-1:000000000000:stream\/cons\/consumer\/app-1:\d+$/);
    expect((await failure(suite.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app-1' })))).name).toBe('ResourceInUseException');
    const byArn = await suite.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: reg.Consumer!.ConsumerARN }));
    expect(byArn.ConsumerDescription!.StreamARN).toBe(arn);
    const byName = await suite.kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app-1' }));
    expect(byName.ConsumerDescription!.ConsumerARN).toBe(reg.Consumer!.ConsumerARN);
    const list = await suite.kinesis.send(new ListStreamConsumersCommand({ StreamARN: arn }));
    expect(list.Consumers!.map((c) => c.ConsumerName)).toEqual(['app-1']);
    expect((await failure(suite.kinesis.send(new DeleteStreamCommand({ StreamName: 'cons' })))).name).toBe('ResourceInUseException');
    await suite.kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: reg.Consumer!.ConsumerARN }));
    expect((await failure(suite.kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app-1' })))).name).toBe('ResourceNotFoundException');
    await suite.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app-2' }));
    await suite.kinesis.send(new DeleteStreamCommand({ StreamName: 'cons', EnforceConsumerDeletion: true }));
  });
});

describe('record error paths', () => {
  it('returns ResourceNotFoundException for puts to a missing stream', async () => {
    const err = await failure(suite.kinesis.send(new PutRecordCommand({ StreamName: 'missing', PartitionKey: 'k', Data: new Uint8Array([1]) })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toContain('missing');
  });

  it('validates partition keys, batch sizes and record sizes', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'val', ShardCount: 1 }));
    expect((await failure(suite.kinesis.send(new PutRecordCommand({ StreamName: 'val', PartitionKey: 'x'.repeat(257), Data: new Uint8Array([1]) })))).name).toBe('ValidationException');
    expect((await failure(suite.kinesis.send(new PutRecordCommand({ StreamName: 'val', PartitionKey: '', Data: new Uint8Array([1]) })))).name).toBe('ValidationException');
    const tooMany = Array.from({ length: 501 }, () => ({ PartitionKey: 'k', Data: new Uint8Array([1]) }));
    expect((await failure(suite.kinesis.send(new PutRecordsCommand({ StreamName: 'val', Records: tooMany })))).name).toBe('ValidationException');
    const big = await failure(suite.kinesis.send(new PutRecordCommand({ StreamName: 'val', PartitionKey: 'k', Data: new Uint8Array(1024 * 1024 + 1) })));
    expect(big.name).toBe('ValidationException');
    const sixMiB = Array.from({ length: 6 }, () => ({ PartitionKey: 'k', Data: new Uint8Array(1024 * 1024) }));
    expect((await failure(suite.kinesis.send(new PutRecordsCommand({ StreamName: 'val', Records: sixMiB })))).name).toBe('InvalidArgumentException');
    const badHash = await failure(suite.kinesis.send(new PutRecordCommand({ StreamName: 'val', PartitionKey: 'k', Data: new Uint8Array([1]), ExplicitHashKey: '340282366920938463463374607431768211456' })));
    expect(badHash.name).toBe('InvalidArgumentException');
  });

  it('refuses forged, foreign and malformed iterators and sequence numbers', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'it', ShardCount: 2 }));
    const { ShardIterator } = await suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'it', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const forged = ShardIterator!.slice(0, -4) + (ShardIterator!.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const err = await failure(suite.kinesis.send(new GetRecordsCommand({ ShardIterator: forged })));
    expect(err.name).toBe('InvalidArgumentException');
    const put = await suite.kinesis.send(new PutRecordCommand({ StreamName: 'it', PartitionKey: 'k', Data: new Uint8Array([1]), ExplicitHashKey: '0' }));
    const wrongShard = await failure(
      suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'it', ShardId: 'shardId-000000000001', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber })),
    );
    expect(wrongShard.name).toBe('InvalidArgumentException');
    const noShard = await failure(suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'it', ShardId: 'shardId-000000000099', ShardIteratorType: 'LATEST' })));
    expect(noShard.name).toBe('ResourceNotFoundException');
    const noSeq = await failure(suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'it', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER' })));
    expect(noSeq.name).toBe('InvalidArgumentException');
    const future = await failure(
      suite.kinesis.send(new GetShardIteratorCommand({ StreamName: 'it', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() + 3_600_000) })),
    );
    expect(future.name).toBe('InvalidArgumentException');
  });

  it('answers unknown operations and malformed bodies in the AWS error shape', async () => {
    const post = (target: string, body: string, type = 'application/x-amz-json-1.1') =>
      fetch(suite.server.endpoint, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': type }, body });
    const unknown = await post('Kinesis_20131202.Explode', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const garbled = await post('Kinesis_20131202.ListStreams', '{"Limit":');
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toMatchObject({ __type: 'SerializationException' });
    const wrongType = await post('Kinesis_20131202.DescribeStream', '{"StreamName":42}');
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ __type: 'SerializationException' });
    const missing = await post('Kinesis_20131202.DescribeStream', '{}');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ __type: 'InvalidArgumentException' });
  });
});
