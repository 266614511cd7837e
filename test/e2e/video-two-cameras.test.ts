import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../harness/agent.js';
import { startCamera, type CameraProcess } from '../harness/camera.js';
import { useIngestSuite } from '../harness/suite.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const suite = useIngestSuite();
let agent: AgentProcess | null = null;
const cameras: CameraProcess[] = [];
afterAll(async () => {
  await agent?.stop();
  await Promise.all(cameras.map((c) => c.stop()));
});

interface Status {
  sources: Record<string, { fragments: number }>;
  buffer: { records: number };
  video: { fragments: number };
}

describe('one agent, two cameras', () => {
  it('uploads each camera to its own stream, every fragment once', async () => {
    const kvs = new KinesisVideoClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
    for (const name of ['porch', 'yard']) await kvs.send(new CreateStreamCommand({ StreamName: name }));
    kvs.destroy();
    cameras.push(await startCamera({ width: 320, height: 240, fps: 15 }), await startCamera({ width: 320, height: 240, fps: 15, path: '/yard' }));
    const startMs = Date.now();
    agent = await startAgent([
      'device: { id: gw-two }',
      `server: { endpoint: "${suite.server.endpoint}" }`,
      'sources:',
      `  - { type: camera, name: porch-cam, url: "${cameras[0]!.url}", stream: porch, fragmentSeconds: 2 }`,
      `  - { type: camera, name: yard-cam, url: "${cameras[1]!.url}", stream: yard, fragmentSeconds: 2 }`,
    ]);
    await new Promise((r) => setTimeout(r, 12_000));
    await Promise.all(cameras.splice(0).map((c) => c.stop()));
    let status = await agent.status<Status>();
    for (let i = 0; i < 60 && status.buffer.records > 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = await agent.status<Status>();
    }
    expect(status.buffer.records).toBe(0);
    const archive = new KinesisVideoArchivedMediaClient({ endpoint: suite.server.endpoint, region: 'us-east-1', credentials });
    for (const [stream, source] of [['porch', 'porch-cam'], ['yard', 'yard-cam']] as const) {
      const { Fragments = [] } = await archive.send(
        new ListFragmentsCommand({ StreamName: stream, FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(startMs - 60_000), EndTimestamp: new Date(Date.now() + 60_000) } } }),
      );
      expect(Fragments.length).toBeGreaterThanOrEqual(3);
      expect(Fragments).toHaveLength(status.sources[source]!.fragments);
    }
    expect(status.video.fragments).toBe(status.sources['porch-cam']!.fragments + status.sources['yard-cam']!.fragments);
    archive.destroy();
  }, 90_000);
});
