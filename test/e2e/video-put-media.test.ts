import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { beforeAll, describe, expect, it } from 'vitest';
import { putMedia } from '../../agent/src/uploaders/video/put-media-client.js';
import { mkvFile } from '../fixtures/mkv-ffmpeg.js';
import { tempDir } from '../harness/ingest.js';
import { useIngestSuite } from '../harness/suite.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const suite = useIngestSuite();
const dir = tempDir('rivulet-put-media-');
let good: string;
const T0 = 1_790_000_000_000;

const send = (file: string, producerTimestampMs: number, streamName = 'door') =>
  putMedia({ endpoint: suite.server.endpoint, streamName, file, producerTimestampMs, region: 'us-east-1', credentials: null, nowMs: Date.now(), timeoutMs: 30_000 });

function fileOf(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function stored(): Promise<{ numbers: string[]; bytes: Buffer[] }> {
  const archive = new KinesisVideoArchivedMediaClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
  const { Fragments = [] } = await archive.send(
    new ListFragmentsCommand({ StreamName: 'door', FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(T0 - 1000), EndTimestamp: new Date(T0 + 3_600_000) } } }),
  );
  const numbers = Fragments.map((f) => f.FragmentNumber!).sort();
  const bytes = [];
  for (const n of numbers) {
    const media = await archive.send(new GetMediaForFragmentListCommand({ StreamName: 'door', Fragments: [n] }));
    bytes.push(Buffer.from(await media.Payload!.transformToByteArray()));
  }
  archive.destroy();
  return { numbers, bytes };
}

beforeAll(async () => {
  const kvs = new KinesisVideoClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
  await kvs.send(new CreateStreamCommand({ StreamName: 'door', DataRetentionInHours: 24 }));
  kvs.destroy();
  good = fileOf('good.mkv', await mkvFile({ seconds: 2, preset: 'ultrafast' }));
}, 60_000);

describe('PutMedia against the real store', () => {
  it('encrypts the fragment files of a stream created with a KmsKeyId, and reads them back decrypted', async () => {
    const kvs = new KinesisVideoClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
    await kvs.send(new CreateStreamCommand({ StreamName: 'vault', KmsKeyId: 'alias/aws/kinesis' }));
    await expect(kvs.send(new CreateStreamCommand({ StreamName: 'nokey', KmsKeyId: 'alias/does-not-exist' }))).rejects.toThrow();
    kvs.destroy();
    const result = await send(good, T0, 'vault');
    expect(result.kind).toBe('persisted');
    const files = readdirSync(join(suite.server.dataDir, 'video', 'fragments'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.mkv'));
    const original = readFileSync(good);
    const onDisk = files.map((e) => readFileSync(join(e.parentPath, e.name)));
    // No file holds the plaintext: the stream's only fragment is an envelope (format byte 1), not MKV (0x1A).
    expect(onDisk.some((b) => b.equals(original))).toBe(false);
    expect(onDisk.some((b) => b[0] === 1)).toBe(true);
    const archive = new KinesisVideoArchivedMediaClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
    const media = await archive.send(new GetMediaForFragmentListCommand({ StreamName: 'vault', Fragments: [result.kind === 'persisted' ? result.fragmentNumber : ''] }));
    expect(Buffer.from(await media.Payload!.transformToByteArray()).equals(original)).toBe(true);
    archive.destroy();
  });

  it('stores a fragment once: a resend (a lost PERSISTED) gets the same fragment number', async () => {
    const first = await send(good, T0);
    expect(first).toMatchObject({ kind: 'persisted' });
    expect(first.kind === 'persisted' && first.acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    const again = await send(good, T0);
    expect(again.kind === 'persisted' && again.fragmentNumber).toBe(first.kind === 'persisted' && first.fragmentNumber);
    expect((await stored()).numbers).toHaveLength(1);
  });

  it('refuses truncated and garbage uploads with an ERROR ack, and what was stored stays intact', async () => {
    const before = await stored();
    const bytes = await mkvFile({ seconds: 2, preset: 'ultrafast' });
    const truncated = await send(fileOf('truncated.mkv', bytes.subarray(0, Math.floor(bytes.length / 2))), T0 + 10_000);
    expect(truncated).toMatchObject({ kind: 'error', ack: { EventType: 'ERROR' } });
    const garbage = await send(fileOf('garbage.bin', Buffer.from('this is not a matroska file at all'.repeat(100))), T0 + 20_000);
    expect(garbage).toMatchObject({ kind: 'error', ack: { EventType: 'ERROR', ErrorId: 4006 } });
    const after = await stored();
    expect(after.numbers).toEqual(before.numbers);
    expect(after.bytes).toEqual(before.bytes);
  });

  it('refuses a fragment longer than 10 s and one for an unknown stream', async () => {
    const long = await send(fileOf('long.mkv', await mkvFile({ seconds: 11, rate: 10, gop: 10, preset: 'ultrafast' })), T0 + 30_000);
    expect(long).toMatchObject({ kind: 'error', ack: { ErrorId: 4002 } });
    const unknown = await send(good, T0 + 40_000, 'no-such-stream');
    expect(unknown).toMatchObject({ kind: 'http', status: 404 });
    expect(unknown.kind === 'http' && unknown.headers['x-amzn-errortype']).toMatch(/^ResourceNotFoundException/);
  });
});
