/**
 * Kinesis Video control plane and fragment reads through the stock SDK clients
 * (@aws-sdk/client-kinesis-video, @aws-sdk/client-kinesis-video-archived-media): stream
 * lifecycle and errors against a real rivulet-ingest process; fragment listing, media reads,
 * retention and SigV4 against an in-process server whose store and clock the test drives.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  TagStreamCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
} from '@aws-sdk/client-kinesis-video';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand, paginateListFragments } from '@aws-sdk/client-kinesis-video-archived-media';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSigV4Auth } from '../../ingest-server/src/plugins/sigv4-auth.js';
import { TEST_CREDENTIALS } from '../harness/clients.js';
import { startInProcess, type InProcessServer } from '../harness/in-process.js';
import { tempDir } from '../harness/ingest.js';
import { useIngestSuite } from '../harness/suite.js';

const video = (endpoint: string, credentials = TEST_CREDENTIALS) => new KinesisVideoClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const archive = (endpoint: string, credentials = TEST_CREDENTIALS) => new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

describe('video control plane (rivulet-ingest process)', () => {
  const suite = useIngestSuite();
  let kv: KinesisVideoClient;
  beforeAll(() => {
    kv = video(suite.server.endpoint);
  });
  afterAll(() => kv?.destroy());

  it('creates, describes and lists streams with their retention and ARN', async () => {
    const created = await kv.send(new CreateStreamCommand({ StreamName: 'front-door', MediaType: 'video/h264', DataRetentionInHours: 48, Tags: { site: 'hq' } }));
    expect(created.StreamARN).toMatch(/^arn:aws:kinesisvideo:us-east-1:\d{12}:stream\/front-door\/\d+$/);
    await kv.send(new CreateStreamCommand({ StreamName: 'back-door' }));
    const described = await kv.send(new DescribeStreamCommand({ StreamName: 'front-door' }));
    expect(described.StreamInfo).toMatchObject({ StreamName: 'front-door', StreamARN: created.StreamARN, MediaType: 'video/h264', Status: 'ACTIVE', DataRetentionInHours: 48 });
    expect(described.StreamInfo?.CreationTime).toBeInstanceOf(Date);
    expect(Math.abs(described.StreamInfo!.CreationTime!.getTime() - Date.now())).toBeLessThan(60_000);
    const byArn = await kv.send(new DescribeStreamCommand({ StreamARN: created.StreamARN }));
    expect(byArn.StreamInfo?.StreamName).toBe('front-door');
    expect((await kv.send(new DescribeStreamCommand({ StreamName: 'back-door' }))).StreamInfo?.DataRetentionInHours).toBe(24);

    const listed = await kv.send(new ListStreamsCommand({}));
    expect(listed.StreamInfoList?.map((s) => s.StreamName)).toEqual(['back-door', 'front-door']);
    const filtered = await kv.send(new ListStreamsCommand({ StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'front' } }));
    expect(filtered.StreamInfoList?.map((s) => s.StreamName)).toEqual(['front-door']);
    const first = await kv.send(new ListStreamsCommand({ MaxResults: 1 }));
    expect(first.StreamInfoList?.map((s) => s.StreamName)).toEqual(['back-door']);
    const second = await kv.send(new ListStreamsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    expect(second.StreamInfoList?.map((s) => s.StreamName)).toEqual(['front-door']);
    expect(second.NextToken).toBeUndefined();
  });

  it('returns the AWS exceptions the SDK models', async () => {
    await expect(kv.send(new CreateStreamCommand({ StreamName: 'front-door' }))).rejects.toMatchObject({ name: 'ResourceInUseException' });
    await expect(kv.send(new DescribeStreamCommand({ StreamName: 'missing' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(kv.send(new DescribeStreamCommand({}))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(kv.send(new CreateStreamCommand({ StreamName: 'bad/name' }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(kv.send(new CreateStreamCommand({ StreamName: 'x'.repeat(257) }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(kv.send(new CreateStreamCommand({ StreamName: 'too-long', DataRetentionInHours: 169 }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(kv.send(new DescribeStreamCommand({ StreamName: 'missing' }))).rejects.toThrow(/missing/);
  });

  it('changes retention under CurrentVersion and refuses a stale version', async () => {
    const before = (await kv.send(new DescribeStreamCommand({ StreamName: 'back-door' }))).StreamInfo!;
    await kv.send(new UpdateDataRetentionCommand({ StreamName: 'back-door', CurrentVersion: before.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 100 }));
    const after = (await kv.send(new DescribeStreamCommand({ StreamName: 'back-door' }))).StreamInfo!;
    expect(after.DataRetentionInHours).toBe(124);
    expect(after.Version).not.toBe(before.Version);
    await expect(
      kv.send(new UpdateDataRetentionCommand({ StreamName: 'back-door', CurrentVersion: before.Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 })),
    ).rejects.toMatchObject({ name: 'VersionMismatchException' });
    await expect(
      kv.send(new UpdateDataRetentionCommand({ StreamARN: after.StreamARN, CurrentVersion: after.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 45 })),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await kv.send(new UpdateDataRetentionCommand({ StreamARN: after.StreamARN, CurrentVersion: after.Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 100 }));
    expect((await kv.send(new DescribeStreamCommand({ StreamName: 'back-door' }))).StreamInfo?.DataRetentionInHours).toBe(24);
  });

  it('tags, untags and lists tags', async () => {
    await kv.send(new TagStreamCommand({ StreamName: 'front-door', Tags: { floor: '1', camera: 'c1' } }));
    await kv.send(new UntagStreamCommand({ StreamName: 'front-door', TagKeyList: ['camera'] }));
    const tags = await kv.send(new ListTagsForStreamCommand({ StreamName: 'front-door' }));
    expect(tags.Tags).toEqual({ site: 'hq', floor: '1' });
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await expect(kv.send(new TagStreamCommand({ StreamName: 'front-door', Tags: many }))).rejects.toMatchObject({ name: 'TagsPerResourceExceededLimitException' });
    await expect(kv.send(new ListTagsForStreamCommand({ StreamName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('points GetDataEndpoint at this server', async () => {
    const res = await kv.send(new GetDataEndpointCommand({ StreamName: 'front-door', APIName: 'LIST_FRAGMENTS' }));
    expect(res.DataEndpoint).toBe(suite.server.endpoint);
    await expect(kv.send(new GetDataEndpointCommand({ StreamName: 'nope', APIName: 'GET_MEDIA' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('deletes a stream by ARN, checking CurrentVersion when given', async () => {
    const info = (await kv.send(new DescribeStreamCommand({ StreamName: 'back-door' }))).StreamInfo!;
    await expect(kv.send(new DeleteStreamCommand({ StreamARN: info.StreamARN, CurrentVersion: 'stale' }))).rejects.toMatchObject({ name: 'VersionMismatchException' });
    await kv.send(new DeleteStreamCommand({ StreamARN: info.StreamARN, CurrentVersion: info.Version }));
    await expect(kv.send(new DescribeStreamCommand({ StreamName: 'back-door' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(kv.send(new DeleteStreamCommand({ StreamARN: info.StreamARN }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    // The name is free again, under a new ARN.
    const again = await kv.send(new CreateStreamCommand({ StreamName: 'back-door' }));
    expect(again.StreamARN).toBeDefined();
  });
});

describe('fragment reads (in-process server)', () => {
  let server: InProcessServer;
  let kv: KinesisVideoClient;
  let am: KinesisVideoArchivedMediaClient;
  let mkv: Buffer;
  const appended: string[] = [];
  const t0 = Date.UTC(2026, 5, 1, 12);

  beforeAll(async () => {
    const dir = tempDir('rivulet-video-mkv-');
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-c:v', 'libx264', '-g', '10', '-t', '1', '-f', 'matroska', join(dir, 'one.mkv')]);
    mkv = readFileSync(join(dir, 'one.mkv'));
    server = await startInProcess({ auth: 'sigv4' }, {
      installAuth: (app) => registerSigV4Auth(app, { lookupSecret: (id) => (id === TEST_CREDENTIALS.accessKeyId ? TEST_CREDENTIALS.secretAccessKey : null), clock: { now: () => Date.now() } }),
    });
    kv = video(server.endpoint);
    await kv.send(new CreateStreamCommand({ StreamName: 'lobby', DataRetentionInHours: 1 }));
    const endpoint = (await kv.send(new GetDataEndpointCommand({ StreamName: 'lobby', APIName: 'LIST_FRAGMENTS' }))).DataEndpoint!;
    am = archive(endpoint);
    const writer = server.server.video.fragments;
    const start = server.clock.now();
    for (let i = 0; i < 5; i++) {
      const res = await writer.append('lobby', { producerTimestampMs: t0 + i * 1000, serverTimestampMs: start + i * 2000, durationMs: 1000, bytes: i === 0 ? mkv : Buffer.from(`fragment-${i}`) });
      appended.push(res.fragmentNumber);
    }
  });

  afterAll(async () => {
    kv?.destroy();
    am?.destroy();
    await server?.close();
  });

  it('lists every fragment with sizes, lengths and both timestamps', async () => {
    const res = await am.send(new ListFragmentsCommand({ StreamName: 'lobby' }));
    expect(res.Fragments?.map((f) => f.FragmentNumber)).toEqual(appended);
    const first = res.Fragments![0]!;
    expect(first.FragmentSizeInBytes).toBe(mkv.byteLength);
    expect(first.FragmentLengthInMilliseconds).toBe(1000);
    expect(first.ProducerTimestamp?.getTime()).toBe(t0);
    expect(first.ServerTimestamp).toBeInstanceOf(Date);
  });

  it('selects by producer timestamp range, inclusive, and pages with NextToken', async () => {
    const selector = { FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const, TimestampRange: { StartTimestamp: new Date(t0 + 1000), EndTimestamp: new Date(t0 + 3000) } };
    const all = await am.send(new ListFragmentsCommand({ StreamName: 'lobby', FragmentSelector: selector }));
    expect(all.Fragments?.map((f) => f.FragmentNumber)).toEqual(appended.slice(1, 4));
    const pages: string[][] = [];
    for await (const page of paginateListFragments({ client: am, pageSize: 2 }, { StreamName: 'lobby', FragmentSelector: selector, MaxResults: 2 })) {
      pages.push(page.Fragments!.map((f) => f.FragmentNumber!));
    }
    expect(pages).toEqual([appended.slice(1, 3), appended.slice(3, 4)]);
    await expect(am.send(new ListFragmentsCommand({ StreamName: 'lobby', NextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
  });

  it('selects by server timestamp', async () => {
    const first = await am.send(new ListFragmentsCommand({ StreamName: 'lobby', MaxResults: 1 }));
    const start = first.Fragments![0]!.ServerTimestamp!;
    const res = await am.send(
      new ListFragmentsCommand({
        StreamName: 'lobby',
        FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: start, EndTimestamp: new Date(start.getTime() + 2000) } },
      }),
    );
    expect(res.Fragments?.map((f) => f.FragmentNumber)).toEqual(appended.slice(0, 2));
  });

  it('returns the fragments MKV bytes, concatenated in the order asked', async () => {
    const res = await am.send(new GetMediaForFragmentListCommand({ StreamName: 'lobby', Fragments: [appended[0]!, appended[2]!] }));
    expect(res.ContentType).toBe('video/webm');
    const body = Buffer.from(await res.Payload!.transformToByteArray());
    expect(body.subarray(0, 4)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
    expect(body).toEqual(Buffer.concat([mkv, Buffer.from('fragment-2')]));
    await expect(am.send(new GetMediaForFragmentListCommand({ StreamName: 'lobby', Fragments: ['99999999999999999999'] }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(am.send(new GetMediaForFragmentListCommand({ StreamName: 'nope', Fragments: [appended[0]!] }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('answers GetDataEndpoint over HTTP/2 from the :authority of the request', async () => {
    const h2 = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttp2Handler() });
    try {
      const res = await h2.send(new GetDataEndpointCommand({ StreamName: 'lobby', APIName: 'GET_MEDIA_FOR_FRAGMENT_LIST' }));
      expect(res.DataEndpoint).toBe(server.endpoint);
    } finally {
      h2.destroy();
    }
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrong = video(server.endpoint, { ...TEST_CREDENTIALS, secretAccessKey: 'wrong' });
    try {
      await expect(wrong.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    } finally {
      wrong.destroy();
    }
  });

  it('deletes fragments past the retention period on the server clock', async () => {
    // Fragment i arrived at start + 2 s * i; an hour and a second later only the first is expired.
    server.clock.advance(60 * 60_000 + 1000);
    await server.server.video.trimmer.runOnce();
    const res = await am.send(new ListFragmentsCommand({ StreamName: 'lobby' }));
    expect(res.Fragments?.map((f) => f.FragmentNumber)).toEqual(appended.slice(1));
  });
});
