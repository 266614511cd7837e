import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { ManualClock } from '@rivulet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkvSegments } from '../../../../test/fixtures/mkv-ffmpeg.js';
import { useIngestSuite } from '../../../../test/harness/suite.js';
import { openBuffer, removeTempDirs, tempLocation } from '../../buffer/fixtures/buffer-fixtures.js';
import type { LevelBuffer } from '../../buffer/level-buffer.js';
import { encodeFragmentRef, fragmentPath } from '../../sources/camera/fragment-ref.js';
import { putMedia } from './put-media-client.js';
import { VideoUploader } from './video-uploader.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const suite = useIngestSuite();
const NOW = 1_790_000_000_000;
let segments: Buffer[];

beforeAll(async () => {
  segments = await mkvSegments({ seconds: 8, preset: 'ultrafast', segmentSeconds: 2 });
}, 60_000);
afterAll(removeTempDirs);

async function setup(stream: string) {
  const kvs = new KinesisVideoClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
  await kvs.send(new CreateStreamCommand({ StreamName: stream }));
  kvs.destroy();
  const clock = new ManualClock(NOW);
  const location = await tempLocation();
  const root = join(dirname(location), 'video');
  const buffer = await openBuffer({ location, clock });
  const deleted: string[] = [];
  const uploader = new VideoUploader(
    { endpoint: suite.server.endpoint, region: 'us-east-1', credentials: null, liveWindowMs: 10_000, requestTimeoutMs: 30_000 },
    { buffer, clock, putMedia, fileOf: (ref) => fragmentPath(root, ref), onDeleted: (f) => deleted.push(f) },
  );
  /** Buffers a fragment file as a camera source would; `ageMs` back from now. */
  const add = async (name: string, bytes: Buffer, producerTimestampMs: number, ageMs: number) => {
    const file = `cam/${name}.mkv`;
    mkdirSync(join(root, 'cam'), { recursive: true });
    writeFileSync(join(root, file), bytes);
    const ref = { file, producerTimestampMs, durationMs: 2000, bytes: bytes.length, monoMs: 0, tags: {} };
    await buffer.append([{ stream, partitionKey: 'cam', data: encodeFragmentRef(ref), wallMs: NOW - ageMs, monoMs: 0 }]);
    return join(root, file);
  };
  return { buffer, uploader, add, root, deleted };
}

async function serverOrder(stream: string): Promise<number[]> {
  const archive = new KinesisVideoArchivedMediaClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
  const { Fragments = [] } = await archive.send(
    new ListFragmentsCommand({ StreamName: stream, FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(NOW - 3_600_000), EndTimestamp: new Date(NOW + 60_000) } } }),
  );
  archive.destroy();
  // Fragment numbers increase in arrival order: this is the order the uploader sent them in.
  return Fragments.sort((a, b) => (a.FragmentNumber! < b.FragmentNumber! ? -1 : 1)).map((f) => f.ProducerTimestamp!.getTime());
}

async function drain(uploader: VideoUploader, buffer: LevelBuffer, stream: string) {
  for (let i = 0; i < 20 && buffer.stats().records > 0; i++) expect(await uploader.attempt(stream)).toEqual({ kind: 'ok' });
}

describe('VideoUploader against a real rivulet-ingest', () => {
  it('sends the live fragment before an outage backlog, then the backlog oldest first, deleting each file after PERSISTED', async () => {
    const { buffer, uploader, add, deleted } = await setup('live-first');
    const files = [];
    // Three fragments from an hour-old outage, then one made just now.
    for (let i = 0; i < 3; i++) files.push(await add(`old-${i}`, segments[i]!, NOW - 3_600_000 + i * 2000, 3_600_000 - i * 2000));
    files.push(await add('live', segments[3]!, NOW - 2000, 0));
    await drain(uploader, buffer, 'live-first');
    // (segment i of the fixture starts at timecode 2 s × i, which the server adds to the header's start)
    expect(await serverOrder('live-first')).toEqual([NOW - 2000 + 6000, NOW - 3_600_000, NOW - 3_598_000 + 2000, NOW - 3_596_000 + 4000]);
    expect(files.every((f) => !existsSync(f))).toBe(true);
    expect(deleted).toHaveLength(4);
    expect(uploader.stats()).toMatchObject({ fragments: 4, missingFiles: 0, rejected: 0 });
    await buffer.close();
  });

  it('acknowledges a record whose file is gone, and sets aside a fragment the server refuses as malformed', async () => {
    const { buffer, uploader, add, root } = await setup('odd-ones');
    const gone = await add('gone', segments[0]!, NOW - 10_000, 20_000);
    await add('garbage', Buffer.from('not matroska at all '.repeat(50)), NOW - 8000, 19_000);
    await add('fine', segments[1]!, NOW - 6000, 18_000);
    const { rmSync } = await import('node:fs');
    rmSync(gone);
    await drain(uploader, buffer, 'odd-ones');
    expect(buffer.stats().records).toBe(0);
    expect(uploader.stats()).toMatchObject({ fragments: 1, missingFiles: 1, rejected: 1 });
    expect(existsSync(join(root, 'cam', 'rejected', 'garbage.mkv'))).toBe(true);
    expect(await serverOrder('odd-ones')).toEqual([NOW - 6000 + 2000]);
    await buffer.close();
  });
});
